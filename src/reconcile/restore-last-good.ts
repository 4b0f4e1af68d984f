/**
 * Putting the host back at the last good commit: after a crash (a rollout cut short, undone at the
 * start of the next pass) and after a failed release (the restored containers gated again as the
 * last good release). reconcile.ts runs these and records what they return; a failure here is a
 * typed error (RecoveryFailedError, RollbackIncompleteError) with its own exit code.
 */
import { RecoveryFailedError } from "../errors.js";
import { formatGateFailure, waitForCompletion, waitForHealthy } from "../health/index.js";
import { runsToCompletion } from "../one-shot.js";
import { observeHost } from "../observe/index.js";
import { batchFailed } from "../apply/batch-outcome.js";
import type { HostSnapshot, ResolvedService, ResolvedState } from "../plan/index.js";
import { cleanUpLeftovers, findInterruptedRollout, undoRollout } from "../rollback/index.js";
import { redactedExcerpt } from "../untrusted/index.js";
import type { ReconcileContext } from "./context.js";
import { restoreDecryptedFiles } from "./restore-decrypted-files.js";

export type RecoveryVerdict =
  /** Nothing to undo: the snapshot looked at, so the pass can plan against it without listing again. */
  | { kind: "clean"; host: HostSnapshot }
  /** Kept containers a finished rollout could not remove were removed (or put back when they were the only copy). */
  | { kind: "leftovers-cleaned" }
  /** A rollout a crash cut short was undone: the host is back where it started. */
  | { kind: "recovered"; commit: string; undone: number };

/**
 * A rollout that a crash cut short (the state's rollout marker, or retained containers on the host)
 * is undone before anything else, so the host is back where that rollout started. Throws
 * RecoveryFailedError when a step could not be undone (the next pass tries again).
 */
export async function recoverInterruptedRollout(ctx: ReconcileContext): Promise<RecoveryVerdict> {
  const state = await ctx.store.read();
  const host = await observeHost(ctx.docker, ctx.settings.hostId);
  const steps = findInterruptedRollout(host, state.rollout);
  if (!steps.length && !state.rollout) return { kind: "clean", host };
  const record = (e: Parameters<typeof ctx.journal.append>[0]) => ctx.journal.append(e).then(() => undefined);
  if (!state.rollout) {
    await cleanUpLeftovers(steps, { docker: ctx.docker, log: ctx.log, commit: state.lastApplied?.commit ?? "unknown", record });
    return { kind: "leftovers-cleaned" };
  }
  const commit = state.rollout.commit;
  ctx.log.warn({ stage: "recover", commit, containers: steps.map((s) => s.name) }, "found an interrupted rollout; undoing it");
  // The kept containers mount the previous commit's decrypted files, which a reboot took with the tmpfs.
  for (const c of new Set([state.lastApplied?.commit, state.lastGood?.commit])) await restoreDecryptedFiles(ctx, c);
  const { problems } = await undoRollout(steps, { docker: ctx.docker, log: ctx.log, commit, record });
  if (problems.length) {
    ctx.log.error({ stage: "recover", commit, problems }, "could not undo every step of the interrupted rollout; retrying next pass");
    throw new RecoveryFailedError(commit, problems);
  }
  return { kind: "recovered", commit, undone: steps.length };
}

/**
 * After a rollback, the restored containers must pass the gate too, judged by the last good
 * release's own checks (its probe, timeout and `rollback_config.monitor`). Returns the failures, in
 * gitdock's words; what a failing container said goes only to the local log, redacted.
 */
export async function gateRestored(ctx: ReconcileContext, resolved: ResolvedState, restored: string[]): Promise<string[]> {
  const services = new Map(resolved.stacks.flatMap((st) => st.services.map((s) => [`${s.project}/${s.service.name}`, s] as const)));
  const host = await observeHost(ctx.docker, ctx.settings.hostId);
  const verdicts = await Promise.all(
    host.containers
      .filter((c) => c.managed && restored.includes(c.name))
      .map(async (c) => {
        const svc = services.get(`${c.project}/${c.service}`);
        if (!svc) return undefined;
        const gate = svc.service.gitdock;
        const opts = ctx.signal ? { signal: ctx.signal } : {};
        // A restored one-shot or job is put back as it was, exited 0: its gate is that exit code.
        const r = runsToCompletion(svc.service)
          ? await waitForCompletion(ctx.docker, { containerId: c.id, name: c.name, timeoutMs: gate.jobTimeoutMs ?? gate.healthTimeoutMs }, opts)
          : await waitForHealthy(
              ctx.docker,
              { containerId: c.id, name: c.name, probe: gate.probe, healthTimeoutMs: gate.healthTimeoutMs, monitorMs: svc.service.rollbackConfig.monitorMs },
              opts,
            );
        if (r.ok) return { svc, failure: undefined };
        const failure = formatGateFailure(r);
        const excerpt = await redactedExcerpt(r.failure.excerpt, svc.spec);
        if (excerpt !== undefined) {
          ctx.log.error(
            { stage: "rollback", commit: resolved.commit, container: c.name, check: r.failure.check, excerpt },
            `restored ${c.name} failed its health gate`,
          );
          ctx.onFailureOutput?.({ at: new Date().toISOString(), commit: resolved.commit, container: c.name, failure, excerpt });
        }
        return { svc, failure };
      }),
  );
  return untolerated(
    ctx,
    resolved.commit,
    verdicts.filter((v) => v !== undefined),
  );
}

/** Per service, its restored containers are one batch for `rollback_config.max_failure_ratio`. */
function untolerated(ctx: ReconcileContext, commit: string, verdicts: { svc: ResolvedService; failure: string | undefined }[]): string[] {
  const out: string[] = [];
  for (const svc of new Set(verdicts.map((v) => v.svc))) {
    const mine = verdicts.filter((v) => v.svc === svc);
    const failures = mine.flatMap((v) => (v.failure === undefined ? [] : [v.failure]));
    const ratio = svc.service.rollbackConfig.maxFailureRatio ?? 0;
    if (failures.length === 0) continue;
    if (batchFailed(failures.length, mine.length, ratio)) out.push(...failures);
    else
      ctx.log.warn(
        { stage: "rollback", commit, stack: svc.project, service: svc.service.name, failures },
        `${failures.length} of ${mine.length} restored containers of ${svc.project}/${svc.service.name} failed their gate, within rollback_config.max_failure_ratio ${ratio}`,
      );
  }
  return out;
}
