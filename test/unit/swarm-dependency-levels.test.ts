/**
 * dependencyLevels: the services a rollout changes, in levels by depends_on. A level is sent and
 * gated before the next, so a service comes after the changed services it depends on; services that
 * do not change are no reason to wait.
 */
import { describe, expect, it } from "vitest";
import type { ServiceAction } from "../../src/plan/service-plan-types.js";
import { dependencyLevels } from "../../src/swarm/apply-swarm.js";
import type { SwarmServiceToSend } from "../../src/swarm/desired-services.js";

/** `project/service` → its depends_on, as desired services. */
function desired(deps: Record<string, string[]>): Map<string, SwarmServiceToSend> {
  return new Map(
    Object.entries(deps).map(([key, dependsOn]) => {
      const [project, service] = key.split("/") as [string, string];
      const name = `${project}_${service}`;
      return [name, { project, service, name, dependsOn } as SwarmServiceToSend];
    }),
  );
}
const action = (key: string, kind: ServiceAction["kind"] = "update"): ServiceAction => {
  const [project, service] = key.split("/") as [string, string];
  return { kind, project, service, name: `${project}_${service}`, serviceId: undefined, reasons: [] };
};
const levels = (changing: string[], deps: Record<string, string[]>) =>
  dependencyLevels(
    changing.map((k) => action(k)),
    desired(deps),
  ).map((level) => level.map((a) => `${a.project}/${a.service}`).sort());

describe("dependencyLevels", () => {
  const shop = { "shop/web": ["api"], "shop/api": ["db", "cache"], "shop/db": [], "shop/cache": [], "shop/worker": ["db"] };
  const cases: { name: string; changing: string[]; deps: Record<string, string[]>; expected: string[][] }[] = [
    { name: "nothing changing, no levels", changing: [], deps: shop, expected: [] },
    { name: "independent services share one level", changing: ["shop/db", "shop/cache"], deps: shop, expected: [["shop/cache", "shop/db"]] },
    {
      name: "a chain is one level per link",
      changing: ["shop/web", "shop/api", "shop/db"],
      deps: shop,
      expected: [["shop/db"], ["shop/api"], ["shop/web"]],
    },
    {
      name: "a service goes one level above the deepest changed service it depends on",
      changing: ["shop/web", "shop/api", "shop/db", "shop/cache", "shop/worker"],
      deps: shop,
      expected: [["shop/cache", "shop/db"], ["shop/api", "shop/worker"], ["shop/web"]],
    },
    // web depends on api, but api is not changing: web need not wait for anything.
    { name: "dependencies that do not change are skipped", changing: ["shop/web", "shop/db"], deps: shop, expected: [["shop/db", "shop/web"]] },
    {
      name: "through an unchanged service there is no ordering either",
      changing: ["shop/web", "shop/cache"],
      deps: shop,
      expected: [["shop/cache", "shop/web"]],
    },
    {
      name: "depends_on is within a stack: another stack's service of the same name is not a dependency",
      changing: ["shop/web", "blog/api"],
      deps: { ...shop, "blog/api": [] },
      expected: [["blog/api", "shop/web"]],
    },
    {
      name: "stacks are ordered each by their own depends_on, in the same levels",
      changing: ["shop/api", "shop/db", "blog/web", "blog/db"],
      deps: { ...shop, "blog/web": ["db"], "blog/db": [] },
      expected: [
        ["blog/db", "shop/db"],
        ["blog/web", "shop/api"],
      ],
    },
  ];
  it.each(cases)("$name", ({ changing, deps, expected }) => {
    expect(levels(changing, deps)).toEqual(expected);
  });

  it("a cycle (refused by the manifest stage) still ends, with every service placed once", () => {
    const out = levels(["x/a", "x/b", "x/c"], { "x/a": ["b"], "x/b": ["c"], "x/c": ["a"] });
    expect(out.flat().sort()).toEqual(["x/a", "x/b", "x/c"]);
  });

  it("keeps each action as planned (kind and reasons)", () => {
    const create = { ...action("shop/db", "create"), reasons: ["missing"] };
    const out = dependencyLevels([action("shop/api"), create], desired(shop));
    expect(out).toEqual([[create], [action("shop/api")]]);
  });
});
