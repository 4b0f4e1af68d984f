import type { ContainerActionKind, Plan } from "./types.js";

const SYMBOL: Record<ContainerActionKind, string> = {
  create: "+",
  replace: "~",
  remove: "-",
  unchanged: "=",
  conflict: "!",
};

export function summarizePlan(plan: Plan): Record<ContainerActionKind, number> {
  const counts: Record<ContainerActionKind, number> = { create: 0, replace: 0, remove: 0, unchanged: 0, conflict: 0 };
  for (const a of plan.actions) counts[a.kind]++;
  return counts;
}

/** The plan as a person reads it: one line per container, changes first, the reasons last. */
export function formatPlanText(plan: Plan, opts: { showUnchanged?: boolean } = {}): string {
  const c = summarizePlan(plan);
  const lines = [
    `Plan for commit ${plan.commit.slice(0, 12)}: ${c.create} to create, ${c.replace} to replace, ${c.remove} to remove, ${c.unchanged} unchanged` +
      (c.conflict ? `, ${c.conflict} conflict(s)` : "") +
      (plan.jobs?.length ? `, ${plan.jobs.length} job(s) to run` : ""),
  ];
  for (const b of plan.blockers) lines.push(`  ! blocked: ${b}`);
  for (const n of plan.networksToCreate) lines.push(`  + network ${n.network.name}`);
  for (const v of plan.volumesToCreate) lines.push(`  + volume  ${v.volume.name}`);
  for (const n of plan.networksToRemove) lines.push(`  - network ${n} (when empty)`);
  const width = Math.max(0, ...plan.actions.map((a) => a.container.length));
  for (const a of plan.actions) {
    if (a.kind === "unchanged" && !opts.showUnchanged) continue;
    lines.push(`  ${SYMBOL[a.kind]} ${a.container.padEnd(width)}  ${a.kind.padEnd(9)} ${a.reasons.join("; ")}`.trimEnd());
  }
  for (const j of plan.jobs ?? []) lines.push(`  > ${j.container}  ${j.phase} job: ${j.reasons.join("; ")}`);
  return lines.join("\n");
}

export function planToJson(plan: Plan): unknown {
  return {
    commit: plan.commit,
    summary: summarizePlan(plan),
    blockers: plan.blockers,
    images: plan.images,
    networks: {
      create: plan.networksToCreate.map((n) => n.network.name),
      remove: plan.networksToRemove,
    },
    volumes: { create: plan.volumesToCreate.map((v) => v.volume.name) },
    actions: plan.actions,
    ...(plan.jobs ? { jobs: plan.jobs } : {}),
  };
}
