import type { ServiceActionKind, ServicePlan } from "./service-plan-types.js";

/** The Swarm side of format-plan.ts: one line per service, since Swarm schedules the replicas. */

const SYMBOL: Record<ServiceActionKind, string> = {
  create: "+",
  update: "~",
  remove: "-",
  unchanged: "=",
  conflict: "!",
};

export function summarizeServicePlan(plan: ServicePlan): Record<ServiceActionKind, number> {
  const counts: Record<ServiceActionKind, number> = { create: 0, update: 0, remove: 0, unchanged: 0, conflict: 0 };
  for (const a of plan.actions) counts[a.kind]++;
  return counts;
}

/** The service plan as a person reads it: blockers, networks, then one line per service with its reasons. */
export function formatServicePlanText(plan: ServicePlan, opts: { showUnchanged?: boolean } = {}): string {
  const c = summarizeServicePlan(plan);
  const lines = [
    `Plan for commit ${plan.commit.slice(0, 12)} on the Swarm: ${c.create} to create, ${c.update} to update, ${c.remove} to remove, ${c.unchanged} unchanged` +
      (c.conflict ? `, ${c.conflict} conflict(s)` : ""),
  ];
  for (const b of plan.blockers) lines.push(`  ! blocked: ${b}`);
  for (const n of plan.networksToCreate) lines.push(`  + network ${n.network.name}`);
  const width = Math.max(0, ...plan.actions.map((a) => a.name.length));
  for (const a of plan.actions) {
    if (a.kind === "unchanged" && !opts.showUnchanged) continue;
    lines.push(`  ${SYMBOL[a.kind]} ${a.name.padEnd(width)}  ${a.kind.padEnd(9)} ${a.reasons.join("; ")}`.trimEnd());
  }
  return lines.join("\n");
}

export function servicePlanToJson(plan: ServicePlan): unknown {
  return {
    engine: "swarm",
    commit: plan.commit,
    summary: summarizeServicePlan(plan),
    blockers: plan.blockers,
    networks: { create: plan.networksToCreate.map((n) => n.network.name) },
    actions: plan.actions,
  };
}
