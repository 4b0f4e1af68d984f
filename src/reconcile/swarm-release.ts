/**
 * The engine seam's Swarm side of a pass (`engine: swarm`): once a commit is chosen, plan it against
 * the Swarm's services (the pure planServices), roll it out service by service behind the Swarm
 * gate, and on any failure put every service the commit changed back to the spec it had — the whole
 * commit, never one service one step back. The verdicts go to the same recorder as the container
 * engine's, so the failed-commit rule, the journal, notes and markers are the same.
 */
import { ApplyFailedError } from "../errors.js";
import type { DesiredState } from "../model.js";
import { resolveHostInputs } from "../observe/index.js";
import { hasServiceChanges, planServices, type ServicePlan } from "../plan/index.js";
import {
  THIS_AGENT_PROCESS,
  applySwarmPlan,
  desiredSwarm,
  finishSwarmRollout,
  observeSwarm,
  undoSwarmRollout,
  warnUnsentOnSwarm,
  type DesiredSwarm,
} from "../swarm/index.js";
import type { ReconcileContext } from "./context.js";
import { recordOutcome } from "./record-outcome.js";
import { mirrorToSwarm } from "./swarm-state-mirror.js";

export type SwarmReleaseVerdict =
  | { kind: "unchanged"; plan: ServicePlan }
  | { kind: "applied"; plan: ServicePlan; changed: number }
  /** `waitsForNodes`: the gate timed out only for want of nodes that are not ready; not held against the commit. */
  | { kind: "rolled-back"; plan: ServicePlan; reason: string; undoProblems: string[]; waitsForNodes: boolean };

/** Plans `desired` against the Swarm as it is now. */
export async function planOnSwarm(ctx: ReconcileContext, desired: DesiredState): Promise<{ swarm: DesiredSwarm; plan: ServicePlan }> {
  const resolved = await resolveHostInputs(desired, ctx.hostKey);
  const swarm = desiredSwarm(resolved, ctx.settings.hostId, ctx.hostKey);
  const host = await observeSwarm(ctx.docker, ctx.settings.hostId);
  return { swarm, plan: planServices(desired.commit, desired.stacks, swarm.services, host) };
}

/**
 * Rolls `desired` out and records the outcome: good (a release) or repaired (drift), or rolled back
 * — a release is then marked failed and is not applied again until the branch moves.
 */
export async function releaseOnSwarm(ctx: ReconcileContext, desired: DesiredState, release: boolean): Promise<SwarmReleaseVerdict> {
  const { swarm, plan } = await planOnSwarm(ctx, desired);
  if (plan.blockers.length) throw new ApplyFailedError(`the plan cannot be applied:\n  ${plan.blockers.join("\n  ")}`, { data: { blockers: plan.blockers } });
  const commit = desired.commit;
  if (!hasServiceChanges(plan)) {
    if (release) await recordOutcome(ctx, { kind: "good", commit, changed: 0 });
    return { kind: "unchanged", plan };
  }
  warnUnsentOnSwarm(ctx.log, desired.stacks, plan);
  // Before the first change: an agent that finds this marker without an outcome goes back to the last good commit (swarm-lease.ts).
  const previousCommit = (await ctx.store.read()).lastGood?.commit;
  await ctx.swarmState?.write((s) => ({
    ...s,
    rollout: {
      commit,
      previousCommit,
      startedAt: new Date().toISOString(),
      stacks: desired.stacks.map((x) => x.project),
      holder: THIS_AGENT_PROCESS,
    },
  }));
  const applied = await applySwarmPlan(plan, swarm, { docker: ctx.docker, agentId: ctx.settings.hostId, auths: ctx.auths, log: ctx.log, signal: ctx.signal });
  if (applied.ok) {
    await recordOutcome(ctx, { kind: release ? "good" : "repaired", commit, changed: applied.changed });
    await mirrorToSwarm(ctx, { endRollout: true });
    await finishSwarmRollout(plan, { docker: ctx.docker, agentId: ctx.settings.hostId, log: ctx.log });
    return { kind: "applied", plan, changed: applied.changed };
  }
  ctx.log.error({ stage: "rollback", commit, reason: applied.reason }, `rolling back ${commit.slice(0, 12)} on the Swarm: ${applied.reason}`);
  const undoStarted = Date.now();
  const undo = await undoSwarmRollout(applied.steps, { docker: ctx.docker, log: ctx.log, gateTimes: undoGateTimes(swarm) });
  const waitsForNodes = applied.waitsForNodes === true;
  // Neither a shutdown nor nodes that went away judge the commit: it is not held, and is tried again.
  const interrupted = ctx.signal?.aborted === true || waitsForNodes;
  await recordOutcome(ctx, {
    kind: "rolled-back",
    commit,
    reason: applied.reason,
    durationMs: Date.now() - undoStarted,
    release,
    interrupted,
    undoComplete: undo.problems.length === 0,
  });
  // An undo that could not finish keeps the marker: the next pass goes back to the last good commit first.
  if (undo.problems.length === 0) await mirrorToSwarm(ctx, { endRollout: true });
  for (const p of undo.problems) ctx.log.fatal({ stage: "rollback", commit, problem: p }, `ROLLBACK INCOMPLETE on the Swarm: ${p}`);
  return { kind: "rolled-back", plan, reason: applied.reason, undoProblems: undo.problems, waitsForNodes };
}

/**
 * The gate of a service put back takes the timeout and window the commit gave that service (the
 * last good commit's are not at hand, and a service's own are the nearest). Every service an undo
 * puts back is one the commit updated; were one not, it would get the longest of them, since an
 * undo never throws.
 */
function undoGateTimes(swarm: DesiredSwarm): (service: string) => { healthTimeoutMs: number; monitorMs: number } {
  const byName = new Map(swarm.services.map((s) => [s.name, s]));
  const longest = (pick: (s: DesiredSwarm["services"][number]) => number) => Math.max(0, ...swarm.services.map(pick));
  return (service) => {
    const s = byName.get(service);
    return s
      ? { healthTimeoutMs: s.healthTimeoutMs, monitorMs: s.monitorMs }
      : { healthTimeoutMs: longest((x) => x.healthTimeoutMs), monitorMs: longest((x) => x.monitorMs) };
  };
}
