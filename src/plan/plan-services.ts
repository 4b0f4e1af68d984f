/**
 * The planner for a Swarm: desired services against the services Swarm has, to create / update /
 * remove / unchanged / conflict with reasons. Pure, like plan.ts: Swarm schedules the tasks, so
 * there is one action per service, never per replica.
 */
import type { DesiredStack } from "../model.js";
import { byCodePoint } from "../order.js";
import type { DesiredSwarmService, ObservedSwarmService, ServiceAction, ServicePlan, SwarmSnapshot } from "./service-plan-types.js";
import { sentDifference } from "./sent-difference.js";

export function planServices(commit: string, stacks: readonly DesiredStack[], desired: readonly DesiredSwarmService[], host: SwarmSnapshot): ServicePlan {
  const byName = new Map(host.services.map((s) => [s.name, s]));
  const actions = desired.map((d) => planService(d, byName.get(d.name)));
  const wanted = new Set(desired.map((d) => d.name));
  for (const s of host.services) {
    if (!s.managed || wanted.has(s.name)) continue;
    actions.push({ kind: "remove", project: s.project ?? "", service: s.service ?? s.name, name: s.name, serviceId: s.id, reasons: ["not in the manifest"] });
  }
  actions.sort((a, b) => byCodePoint(a.name, b.name));
  const networks = new Map(host.networks.map((n) => [n.name, n.managed]));
  const networksToCreate = stacks.flatMap((stack) =>
    stack.networks.filter((n) => !n.external && !networks.has(n.name)).map((network) => ({ project: stack.project, network })),
  );
  const blockers = [
    ...stacks.flatMap((stack) =>
      stack.networks.filter((n) => !n.external && networks.get(n.name) === false).map((n) => `network ${n.name} exists and gitdock does not own it`),
    ),
    ...stacks.flatMap((stack) =>
      stack.networks.filter((n) => n.external && !networks.has(n.name)).map((n) => `external network ${n.name} does not exist on the Swarm`),
    ),
  ];
  return { commit, actions, networksToCreate, blockers };
}

function planService(d: DesiredSwarmService, current: ObservedSwarmService | undefined): ServiceAction {
  const base = { project: d.project, service: d.service, name: d.name };
  if (!current) return { ...base, kind: "create", serviceId: undefined, reasons: ["missing"] };
  if (!current.managed) return { ...base, kind: "conflict", serviceId: current.id, reasons: ["name held by a service gitdock does not manage"] };
  const reasons = serviceDrift(d, current);
  return { ...base, kind: reasons.length ? "update" : "unchanged", serviceId: current.id, reasons };
}

/**
 * Why a service no longer is what gitdock sent: a new commit changed its spec (the hash), or someone
 * changed it by hand (`docker service update`, `scale`): a field gitdock sent that Swarm now holds
 * otherwise.
 */
export function serviceDrift(d: DesiredSwarmService, current: ObservedSwarmService): string[] {
  if (current.specHash !== d.specHash) return ["spec changed"];
  const moved = sentDifference(d.sent, current.spec) ?? addedByHand(d.sent, current.spec);
  return moved ? [`changed outside gitdock: ${moved}`] : [];
}

/**
 * Lists gitdock owns whole. The body leaves an empty list out (compact), and a field left out is
 * not compared (the Engine fills in its defaults), so without this a list added by hand to a
 * service whose manifest has none (`docker service update --env-add`, `--mount-add`) would not be
 * drift. The Engine adds none of these by itself.
 */
const OWNED_LISTS = [
  "TaskTemplate.ContainerSpec.Command",
  "TaskTemplate.ContainerSpec.Args",
  "TaskTemplate.ContainerSpec.Env",
  "TaskTemplate.ContainerSpec.Mounts",
  "TaskTemplate.ContainerSpec.Secrets",
  "TaskTemplate.ContainerSpec.Configs",
  "TaskTemplate.ContainerSpec.Hosts",
  "TaskTemplate.ContainerSpec.CapabilityAdd",
  "TaskTemplate.ContainerSpec.CapabilityDrop",
  "TaskTemplate.ContainerSpec.Groups",
  "TaskTemplate.Placement.Constraints",
  "EndpointSpec.Ports",
];

/** The first owned list the sent spec leaves out (empty) and the Engine now holds with members. */
function addedByHand(sent: Record<string, unknown>, seen: Record<string, unknown>): string | undefined {
  return OWNED_LISTS.find((path) => {
    const [wanted, held] = [valueAt(sent, path), valueAt(seen, path)];
    return wanted === undefined && Array.isArray(held) && held.length > 0;
  });
}

function valueAt(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), value);
}

export function hasServiceChanges(plan: ServicePlan): boolean {
  return plan.networksToCreate.length > 0 || plan.actions.some((a) => a.kind === "create" || a.kind === "update" || a.kind === "remove");
}
