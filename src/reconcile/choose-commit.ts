import { LastGoodRejectedError } from "../errors.js";
import { isBlocked, type HostState } from "../state/index.js";
import type { HostSnapshot } from "../plan/index.js";
import { acceptCommit } from "./accept-commit.js";
import type { CommitChoice, ReconcileContext, ReconcileOutcome } from "./context.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";

/**
 * The commit to reconcile toward: the target, unless it is blocked (rejected or failed before, and
 * no retry asked) or fails a check now (accept-commit.ts) — then the last good commit, so drift is
 * still repaired but a bad commit is never applied by itself. The last good commit (the target
 * itself when the host is in sync) is re-checked instead of judged as new (recheck-last-good.ts):
 * when it no longer passes, LastGoodRejectedError halts the pass.
 *
 * Writes nothing: a rejection and the signature verdict come back in the choice, for the pass to
 * record (record-outcome.ts).
 */
export async function chooseCommit(
  ctx: ReconcileContext,
  state: HostState,
  gitdir: string,
  target: string,
  engine: () => Promise<HostSnapshot>,
): Promise<CommitChoice> {
  const lastGood = state.lastGood?.commit;
  const lastGoodState = async () => (lastGood ? await loadCheckedLastGood(ctx, gitdir, lastGood, target, engine) : undefined);
  if (target === lastGood) return { outcome: "synced", desired: await lastGoodState(), reason: undefined };
  const blocked = isBlocked(state, target);
  if (blocked) {
    const outcome: ReconcileOutcome = Object.hasOwn(state.rejected, target) ? "rejected" : "held";
    ctx.log.warn({ stage: "manifest", commit: target, reason: blocked.reason }, `commit ${target.slice(0, 12)} is ${outcome}; keeping the last good commit`);
    return { outcome, desired: await lastGoodState(), reason: blocked.reason };
  }
  ctx.log.info({ stage: "manifest", commit: target }, "validating");
  const verdict = await acceptCommit(ctx, gitdir, target, { state, engine });
  const signature = verdict.signature ? { signature: { commit: target, verdict: verdict.signature } } : {};
  if (verdict.ok) return { outcome: "synced", desired: verdict.desired, reason: undefined, ...signature };
  const { error } = verdict;
  // The pass's result (what `sync` prints) also says what to do about it.
  const reason = error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  const rejected = { outcome: "rejected" as const, reason, rejection: { commit: target, error }, ...signature };
  try {
    return { ...rejected, desired: await lastGoodState() };
  } catch (err) {
    // The rejection must be recorded even when the last good commit then halts the pass.
    if (err instanceof LastGoodRejectedError) return { ...rejected, desired: undefined, halt: err };
    throw err;
  }
}
