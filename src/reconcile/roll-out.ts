import { applyPlan, finalizeRollout, RolloutFailedError, type ApplyContext } from "../apply/index.js";
import { bindRootsOf } from "../apply/host-bind-sources.js";
import { pruneImages, recordPulledImages } from "../apply/prune-images.js";
import { cleanUpStore } from "../files/index.js";
import { formatGateFailure, waitForHealthy } from "../health/index.js";
import type { DesiredState } from "../model.js";
import { redactedExcerpt } from "../untrusted/index.js";
import { observeHost, resolveHostInputs } from "../observe/index.js";
import { makePlan, type HostSnapshot, type Plan, type ResolvedState } from "../plan/index.js";
import { cleanUpLeftovers, findInterruptedRollout, undoRollout } from "../rollback/index.js";
import { beginRollout, endRollout, markFailed, markGood } from "../state/index.js";
import { emitOutcome } from "./outcome.js";
import type { ReconcileContext } from "./reconcile.js";

/** Plan one desired state against the host as it is now, or as `observed` moments ago in the same pass. */
export async function planToward(
  ctx: ReconcileContext,
  desired: DesiredState,
  observed?: HostSnapshot,
): Promise<{ resolved: ResolvedState; plan: Plan; host: HostSnapshot }> {
  const resolved = await resolveHostInputs(desired, ctx.hostKey);
  const host = observed ?? (await observeHost(ctx.docker, ctx.settings.hostId));
  return { resolved, plan: makePlan(resolved, host), host };
}

export type RolloutOutcome =
  | { kind: "applied"; changed: number }
  /** `restored`: the kept containers put back under their names, to be gated as the last good release. */
  | { kind: "rolled-back"; reason: string; restored: string[] }
  | { kind: "paused"; reason: string };

/**
 * Apply a plan with health gates, keeping the replaced containers until the whole commit is
 * healthy. On a failed gate (or any failure part way), undo the rollout, bring the host back to the
 * last good commit and mark a new commit failed so it is never applied again by itself.
 * `isNewRelease` is false for drift repair toward the commit the host already runs.
 */
export async function rollOut(
  ctx: ReconcileContext,
  resolved: ResolvedState,
  plan: Plan,
  isNewRelease: boolean,
  lastGood: string | undefined,
): Promise<RolloutOutcome> {
  const commit = resolved.commit;
  await ctx.store.update((s) =>
    beginRollout(s, { commit, previousCommit: lastGood, startedAt: new Date().toISOString(), stacks: resolved.stacks.map((x) => x.stack.project) }),
  );
  const apply = applyContext(ctx, resolved);
  try {
    const result = await applyPlan(plan, apply);
    // Good first, clean up after: once the marker is gone, a crash can no longer undo this release.
    const at = new Date().toISOString();
    const state = await ctx.store.update((s) => endRollout(isNewRelease || !lastGood ? markGood({ ...s, lastApplied: { commit, at } }, commit, at) : { ...s, lastApplied: { commit, at } }));
    await finalizeRollout(plan, apply, result.log);
    await cleanUpImages(ctx, resolved, state.goodHistory);
    await cleanUpStore({ docker: ctx.docker, stateDir: ctx.settings.stateDir, commit, objects: resolved.stacks.flatMap((s) => s.stack.storeObjects ?? []), goodHistory: state.goodHistory, log: ctx.log });
    await ctx.journal.append({ commit, action: "sync", outcome: isNewRelease ? "healthy" : "repaired", data: { changed: result.changed } });
    if (isNewRelease) await emitOutcome(ctx, { commit, outcome: "healthy" });
    return { kind: "applied", changed: result.changed };
  } catch (err) {
    if (!(err instanceof RolloutFailedError)) {
      await ctx.store.update(endRollout);
      throw err;
    }
    const reason = err.message;
    if (err.pause) return pause(ctx, commit, reason);
    const started = Date.now();
    ctx.log.error({ stage: "rollback", commit, reason }, `rolling back ${commit.slice(0, 12)}: ${reason}`);
    const { restored } = await undoRollout(err.log.steps, { docker: ctx.docker, log: ctx.log, commit, record: (e) => ctx.journal.append(e).then(() => undefined) });
    // A rollout stopped by shutdown is undone but not held against the commit: the next start retries it.
    const interrupted = ctx.signal?.aborted === true;
    if (isNewRelease && !interrupted) await ctx.store.update((s) => markFailed(s, commit, reason, new Date().toISOString()));
    await ctx.store.update(endRollout);
    const durationMs = Date.now() - started;
    await ctx.journal.append({ commit, action: "rollback", reason, outcome: isNewRelease ? "rolled-back" : "repair-failed", durationMs });
    if (!isNewRelease || interrupted) throw err.failure;
    await emitOutcome(ctx, { commit, outcome: "rolled-back", reason, durationMs });
    return { kind: "rolled-back", reason, restored };
  } finally {
    await ctx.journal.checkpoint();
  }
}

/** Image cleanup must never fail a healthy rollout: problems are logged and retried next time. */
async function cleanUpImages(ctx: ReconcileContext, resolved: ResolvedState, goodHistory: string[]): Promise<void> {
  try {
    await pruneImages({
      docker: ctx.docker,
      stateDir: ctx.settings.stateDir,
      commit: resolved.commit,
      images: resolved.stacks.flatMap((s) => s.services.map((x) => x.spec.image)),
      goodHistory,
      log: ctx.log,
    });
  } catch (err) {
    ctx.log.warn({ stage: "cleanup", err: String(err) }, "image cleanup failed; retried after the next rollout");
  }
}

async function pause(ctx: ReconcileContext, commit: string, reason: string): Promise<RolloutOutcome> {
  ctx.log.error({ stage: "health", commit, reason }, "rollout paused (failure_action: pause); the host is left as it is");
  await ctx.store.update((s) => endRollout(markFailed(s, commit, reason, new Date().toISOString())));
  await ctx.journal.append({ commit, action: "pause", reason, outcome: "paused" });
  await emitOutcome(ctx, { commit, outcome: "paused", reason });
  return { kind: "paused", reason };
}

function applyContext(ctx: ReconcileContext, resolved: ResolvedState): ApplyContext {
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
    record: async (e) => void (await ctx.journal.append({ ...e, ...(e.error ? { data: { error: e.error } } : {}) })),
    gate: (t, signal) =>
      waitForHealthy(
        ctx.docker,
        {
          containerId: t.containerId,
          name: t.name,
          probe: t.service.service.gitdock.probe,
          healthTimeoutMs: t.service.service.gitdock.healthTimeoutMs,
          monitorMs: t.service.service.updateConfig.monitorMs,
        },
        { signal: ctx.signal ? AbortSignal.any([signal, ctx.signal]) : signal },
      ),
  };
}

/**
 * A rollout that a crash cut short (the state's rollout marker, or retained containers on the host)
 * is undone before anything else, so the host is back where that rollout started. Returns the
 * snapshot it looked at when there was nothing to undo, so the pass can plan against it instead of
 * listing everything again; undefined when it changed the host.
 */
export async function recoverInterruptedRollout(ctx: ReconcileContext): Promise<HostSnapshot | undefined> {
  const state = await ctx.store.read();
  const host = await observeHost(ctx.docker, ctx.settings.hostId);
  const steps = findInterruptedRollout(host, state.rollout);
  if (!steps.length && !state.rollout) return host;
  if (!state.rollout) {
    // No rollout in progress: these are kept containers a finished rollout could not remove.
    await cleanUpLeftovers(steps, { docker: ctx.docker, log: ctx.log, commit: state.lastApplied?.commit ?? "unknown", record: (e) => ctx.journal.append(e).then(() => undefined) });
    return undefined;
  }
  const commit = state.rollout?.commit ?? "unknown";
  ctx.log.warn({ stage: "recover", commit, containers: steps.map((s) => s.name) }, "found an interrupted rollout; undoing it");
  const { problems } = await undoRollout(steps, { docker: ctx.docker, log: ctx.log, commit, record: (e) => ctx.journal.append(e).then(() => undefined) });
  if (problems.length) {
    ctx.log.error({ stage: "recover", commit, problems }, "could not undo every step of the interrupted rollout; retrying next pass");
    throw new Error(`recovery of the interrupted rollout of ${commit.slice(0, 12)} failed: ${problems.join("; ")}`);
  }
  await ctx.store.update(endRollout);
  await ctx.journal.append({ commit, action: "recover", outcome: "ok", data: { undone: steps.length } });
  return undefined;
}



/**
 * After a rollback, the restored containers must pass the gate too, judged by the last good
 * release's own checks (its probe, timeout and `rollback_config.monitor`). Returns the failures, in
 * gitdock's words; what a failing container said goes only to the local log, redacted.
 */
export async function gateRestored(ctx: ReconcileContext, resolved: ResolvedState, restored: string[]): Promise<string[]> {
  const services = new Map(resolved.stacks.flatMap((st) => st.services.map((s) => [`${s.project}/${s.service.name}`, s] as const)));
  const host = await observeHost(ctx.docker, ctx.settings.hostId);
  const failures = await Promise.all(
    host.containers
      .filter((c) => c.managed && restored.includes(c.name))
      .map(async (c) => {
        const svc = services.get(`${c.project}/${c.service}`);
        if (!svc) return undefined;
        const gate = svc.service.gitdock;
        const r = await waitForHealthy(
          ctx.docker,
          { containerId: c.id, name: c.name, probe: gate.probe, healthTimeoutMs: gate.healthTimeoutMs, monitorMs: svc.service.rollbackConfig.monitorMs },
          ctx.signal ? { signal: ctx.signal } : {},
        );
        if (r.ok) return undefined;
        const failure = formatGateFailure(r);
        const excerpt = await redactedExcerpt(r.failure.excerpt, svc.spec);
        if (excerpt !== undefined) {
          ctx.log.error({ stage: "rollback", commit: resolved.commit, container: c.name, check: r.failure.check, excerpt }, `restored ${c.name} failed its health gate`);
          ctx.onFailureOutput?.({ at: new Date().toISOString(), commit: resolved.commit, container: c.name, failure, excerpt });
        }
        return failure;
      }),
  );
  return failures.filter((f): f is string => f !== undefined);
}
