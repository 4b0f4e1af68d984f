import { describe, expect, it } from "vitest";
import { findInterruptedRollout } from "../../src/rollback/find-interrupted-rollout.js";
import type { HostSnapshot, ObservedContainer } from "../../src/plan/types.js";

function c(name: string, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${name}-id`,
    name,
    managed: true,
    project: "shop",
    service: "web",
    number: 1,
    commit: "old",
    specHash: "h",
    fieldHashesLabel: undefined,
    image: "i",
    state: "running",
    running: true,
    health: "none",
    previousOf: name.endsWith(".gitdock-prev") ? name.slice(0, -".gitdock-prev".length) : undefined,
    ...over,
  };
}
const host = (...containers: ObservedContainer[]): HostSnapshot => ({ containers, networks: [], volumes: [] });
const marker = { commit: "new", previousCommit: "old", startedAt: "t", stacks: ["shop"] };

describe("findInterruptedRollout", () => {
  it("finds nothing on a clean host", () => {
    expect(findInterruptedRollout(host(c("shop-web-1")), undefined)).toEqual([]);
  });

  it("killed after the old container was kept: restore it; there is no new one yet", () => {
    const prev = c("shop-web-1.gitdock-prev", { running: false });
    expect(findInterruptedRollout(host(prev), marker)).toEqual([
      { project: "shop", service: "web", name: "shop-web-1", newId: undefined, retainedName: "shop-web-1.gitdock-prev" },
    ]);
  });

  it("killed after the new container was created: remove it and restore the old one", () => {
    const steps = findInterruptedRollout(host(c("shop-web-1.gitdock-prev"), c("shop-web-1", { commit: "new", id: "n1" })), marker);
    expect(steps).toEqual([{ project: "shop", service: "web", name: "shop-web-1", newId: "n1", retainedName: "shop-web-1.gitdock-prev" }]);
  });

  it("a container the interrupted commit created for a new service is removed", () => {
    const steps = findInterruptedRollout(host(c("shop-web-1"), c("shop-worker-1", { service: "worker", commit: "new", id: "w1" })), marker);
    expect(steps).toEqual([{ project: "shop", service: "worker", name: "shop-worker-1", newId: "w1", retainedName: undefined }]);
  });

  it("never touches containers of other agents", () => {
    expect(findInterruptedRollout(host(c("shop-web-1.gitdock-prev", { managed: false })), marker)).toEqual([]);
  });

  it("a repair rollout (same commit as before) removes nothing that runs that commit", () => {
    const repair = { ...marker, commit: "old" };
    expect(findInterruptedRollout(host(c("shop-web-1")), repair)).toEqual([]);
  });
});
