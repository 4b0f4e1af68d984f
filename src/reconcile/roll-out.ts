import { cleanUpDecryptedAfterRollout } from "../files/clean-up-decrypted.js";
import { applyPlan, finalizeRollout, RolloutFailedError, type ApplyContext } from "../apply/index.js";
import { bindRootsOf } from "../apply/host-bind-sources.js";
import { pruneImages, recordPulledImages } from "../apply/prune-images.js";
import { cleanUpStoreAfterRollout } from "../files/index.js";
import { openContainerWakeups, waitForCompletion, waitForHealthy, watchDeath, type ContainerWakeups } from "../health/index.js";
import { jobOutputDir } from "../apply/job-output.js";
import { runsToCompletion } from "../one-shot.js";
import { serviceDependencies, type Plan, type ResolvedState } from "../plan/index.js";
import { faultOf } from "../apply/rollout-phase.js";
import { undoRollout } from "../rollback/index.js";
import { engineDisruption } from "./engine-disruption.js";
import type { ReconcileContext } from "./context.js";

export type RolloutVerdict =
  /** Every new container passed its gate. `finish` removes the kept containers and unused images: call it once the commit is recorded good. */
  | { kind: "applied"; changed: number; finish: () => Promise<void> }
  /**
   * A gate (or a step) failed and the rollout was undone. `restored`: the kept containers put back
   * under their names, to be gated as the last good release. `interrupted`: stopped by shutdown.
   */
  | { kind: "rolled-back"; reason: string; restored: string[]; undoProblems: string[]; durationMs: number; interrupted: boolean; failure: unknown }
  /** `failure_action: pause`: the rollout stopped where it was. */
  | { kind: "paused"; reason: string }
  /**
   * The Engine failed or went away during the rollout: not the release's fault. Nothing was undone
   * (the Engine may not answer); the rollout marker stays, and the next pass undoes the rollout
   * from it exactly as after a crash, then tries the commit again.
   */
  | { kind: "disrupted"; reason: string; failure: unknown };

/**
 * Apply a plan with health gates, keeping the replaced containers until the whole commit is
 * healthy; on a failed gate (or any failure part way), undo what it did. Returns what happened and
 * writes no state: the pass records the verdict (record-outcome.ts).
 */
export async function rollOut(ctx: ReconcileContext, resolved: ResolvedState, plan: Plan, runningBefore: ReadonlySet<string>): Promise<RolloutVerdict> {
  const commit = resolved.commit;
  // Gates sample at once when the Engine reports on their container: a failure is noticed when the Engine knows it.
  const wakeups = await openContainerWakeups(ctx.docker);
  const apply = applyContext(ctx, resolved, wakeups);
  try {
    const result = await applyPlan(plan, apply);
    return { kind: "applied", changed: result.changed, finish: () => finish(ctx, plan, apply, result.log, resolved) };
  } catch (err) {
    if (!(err instanceof RolloutFailedError)) throw err;
    const reason = err.message;
    if (err.pause) {
      ctx.log.error({ stage: "health", commit, reason }, "rollout paused (failure_action: pause); the host is left as it is");
      return { kind: "paused", reason };
    }
    const interrupted = ctx.signal?.aborted === true;
    const disruption = interrupted ? undefined : await blameEngine(ctx, err.failure, wakeups, runningBefore);
    if (disruption) {
      ctx.log.error(
        { stage: "rollback", commit, reason, disruption },
        `rollout of ${commit.slice(0, 12)} interrupted: ${disruption}; not held against the commit`,
      );
      return { kind: "disrupted", reason: `${disruption}: ${reason}`, failure: err.failure };
    }
    const started = Date.now();
    ctx.log.error({ stage: "rollback", commit, reason }, `rolling back ${commit.slice(0, 12)}: ${reason}`);
    const { restored, problems } = await undoRollout(err.log.steps, {
      docker: ctx.docker,
      log: ctx.log,
      commit,
      record: (e) => ctx.journal.append(e).then(() => undefined),
      dependencies: serviceDependencies(resolved),
      concurrency: ctx.settings.concurrency,
      watchDeath: (id) => watchDeath(wakeups, id),
    });
    return { kind: "rolled-back", reason, restored, undoProblems: problems, durationMs: Date.now() - started, interrupted, failure: err.failure };
  } finally {
    wakeups.close();
  }
}

/** Why the Engine, not the release, is to blame for a failure; undefined when it is the release's. */
async function blameEngine(
  ctx: ReconcileContext,
  failure: unknown,
  wakeups: ContainerWakeups,
  runningBefore: ReadonlySet<string>,
): Promise<string | undefined> {
  const fault = faultOf(failure);
  if (fault === "release") return undefined;
  if (fault === "engine") return "the Engine failed a step of the rollout";
  return engineDisruption(failure, { docker: ctx.docker, hostId: ctx.settings.hostId, wakeups, runningBefore });
}

/** After the commit is recorded good: the kept containers go, then images and stored files no good commit needs. Never fails the release. */
async function finish(
  ctx: ReconcileContext,
  plan: Plan,
  apply: ApplyContext,
  log: Parameters<typeof finalizeRollout>[2],
  resolved: ResolvedState,
): Promise<void> {
  await finalizeRollout(plan, apply, log);
  try {
    await pruneImages({
      docker: ctx.docker,
      stateDir: ctx.settings.stateDir,
      commit: resolved.commit,
      images: resolved.stacks.flatMap((s) => s.services.map((x) => x.spec.image)),
      goodHistory: (await ctx.store.read()).goodHistory,
      log: ctx.log,
    });
  } catch (err) {
    ctx.log.warn({ stage: "cleanup", err: String(err) }, "image cleanup failed; retried after the next rollout");
  }
  await cleanUpStoreAfterRollout(ctx, resolved);
  await cleanUpDecryptedAfterRollout(ctx, resolved);
}

function applyContext(ctx: ReconcileContext, resolved: ResolvedState, wakeups: ContainerWakeups): ApplyContext {
  return {
    docker: ctx.docker,
    agentId: ctx.settings.hostId,
    desired: resolved,
    auths: ctx.auths,
    log: ctx.log,
    concurrency: ctx.settings.concurrency,
    signal: ctx.signal,
    onPulled: (images) => recordPulledImages(ctx.settings.stateDir, images),
    bindRoots: bindRootsOf(ctx.settings.security.policy),
    ...(ctx.onFailureOutput ? { onFailureOutput: ctx.onFailureOutput } : {}),
    record: async ({ error, data, ...e }) =>
      void (await ctx.journal.append({ ...e, ...(error || data ? { data: { ...data, ...(error ? { error } : {}) } } : {}) })),
    jobOutputDir: jobOutputDir(ctx.settings.stateDir),
    gate: (t, signal) => {
      const both = ctx.signal ? AbortSignal.any([signal, ctx.signal]) : signal;
      const options = t.service.service.gitdock;
      // A job or a one-shot passes when it exits 0 (within its job_timeout, or the gate's health_timeout).
      if (runsToCompletion(t.service.service)) {
        return waitForCompletion(
          ctx.docker,
          { containerId: t.containerId, name: t.name, timeoutMs: options.jobTimeoutMs ?? options.healthTimeoutMs },
          { signal: both, wakeups },
        );
      }
      return waitForHealthy(
        ctx.docker,
        {
          containerId: t.containerId,
          name: t.name,
          probe: options.probe,
          healthTimeoutMs: options.healthTimeoutMs,
          monitorMs: t.service.service.updateConfig.monitorMs,
        },
        { signal: both, wakeups },
      );
    },
  };
}
