/** formatServicePlanText / servicePlanToJson: `gitdock plan` under engine: swarm prints the service plan. */
import { describe, expect, it } from "vitest";
import type { NetworkSpec } from "../../src/model.js";
import { formatServicePlanText, servicePlanToJson } from "../../src/plan/format-service-plan.js";
import type { ServiceAction, ServicePlan } from "../../src/plan/service-plan-types.js";

const network = (name: string) =>
  ({ key: "default", name, external: false, driver: undefined, driverOpts: {}, internal: false, attachable: false, labels: {} }) as NetworkSpec;
const action = (kind: ServiceAction["kind"], name: string, reasons: string[] = []): ServiceAction => {
  const [project = "", service = ""] = name.split("_");
  return { kind, project, service, name, serviceId: kind === "create" ? undefined : `${name}-id`, reasons };
};

const PLAN: ServicePlan = {
  commit: "0123456789abcdef0123456789abcdef01234567",
  actions: [
    action("create", "shop_cache", ["missing"]),
    action("unchanged", "shop_db"),
    action("remove", "shop_old", ["not in the manifest"]),
    action("conflict", "shop_search", ["name held by a service gitdock does not manage"]),
    action("update", "shop_web", ["changed outside gitdock: TaskTemplate.ContainerSpec.Image"]),
  ],
  networksToCreate: [{ project: "shop", network: network("shop_back") }],
  blockers: [],
};

describe("formatServicePlanText", () => {
  it("prints a summary, the networks to create, and one line per changed service with its reasons", () => {
    expect(formatServicePlanText(PLAN).split("\n")).toEqual([
      "Plan for commit 0123456789ab on the Swarm: 1 to create, 1 to update, 1 to remove, 1 unchanged, 1 conflict(s)",
      "  + network shop_back",
      "  + shop_cache   create    missing",
      "  - shop_old     remove    not in the manifest",
      "  ! shop_search  conflict  name held by a service gitdock does not manage",
      "  ~ shop_web     update    changed outside gitdock: TaskTemplate.ContainerSpec.Image",
    ]);
  });

  it("lists unchanged services when asked", () => {
    expect(formatServicePlanText(PLAN, { showUnchanged: true })).toContain("  = shop_db      unchanged");
  });

  it("puts blockers first", () => {
    const blocked = { ...PLAN, actions: [], networksToCreate: [], blockers: ["external network proxy does not exist on the Swarm"] };
    expect(formatServicePlanText(blocked).split("\n")).toEqual([
      "Plan for commit 0123456789ab on the Swarm: 0 to create, 0 to update, 0 to remove, 0 unchanged",
      "  ! blocked: external network proxy does not exist on the Swarm",
    ]);
  });

  it("says only the summary when nothing changes", () => {
    expect(formatServicePlanText({ ...PLAN, actions: [action("unchanged", "shop_db")], networksToCreate: [] })).toBe(
      "Plan for commit 0123456789ab on the Swarm: 0 to create, 0 to update, 0 to remove, 1 unchanged",
    );
  });
});

describe("servicePlanToJson", () => {
  it("says the engine, counts the actions, names the networks and keeps every action with its reasons", () => {
    const json = servicePlanToJson(PLAN) as Record<string, unknown>;
    expect(json).toEqual({
      engine: "swarm",
      commit: PLAN.commit,
      summary: { create: 1, update: 1, remove: 1, unchanged: 1, conflict: 1 },
      blockers: [],
      networks: { create: ["shop_back"] },
      actions: PLAN.actions,
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
