import type { DesiredState } from "../model.js";
import type { HostSnapshot } from "../plan/index.js";
import { isBlocked, markRejected, type HostState } from "../state/index.js";
import { acceptCommit } from "./accept-commit.js";
import { emitOutcome } from "./outcome.js";
import type { ReconcileContext, ReconcileOutcome } from "./reconcile.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";
import { firstLine, isRejection, REJECTED_BY } from "./rejection.js";

export interface DesiredChoice {
  outcome: ReconcileOutcome;
  /** What to reconcile toward; undefined when there is nothing safe to reconcile toward. */
  desired: DesiredState | undefined;
  reason: string | undefined;
}

/**
 * The target commit, unless it is blocked (rejected or failed before, and no retry asked): then the
 * last good commit, so drift is still repaired but the bad commit is never applied by itself.
 * A new target whose signature, history, manifest or policy check fails (accept-commit.ts) is
 * marked rejected here, before anything touches the host. The last good commit — the target
 * itself when the host is in sync — is re-checked instead (recheck-last-good.ts): when it no
 * longer passes, LastGoodRejectedError halts the pass.
 */
export async function chooseDesired(
  ctx: ReconcileContext,
  state: HostState,
  gitdir: string,
  target: string,
  dryRun: boolean,
  engine: () => Promise<HostSnapshot>,
): Promise<DesiredChoice> {
  const lastGood = state.lastGood?.commit;
  if (target === lastGood) return { outcome: "synced", desired: await loadCheckedLastGood(ctx, gitdir, lastGood, target, engine), reason: undefined };
  const blocked = isBlocked(state, target);
  let outcome: ReconcileOutcome = "synced";
  let reason = blocked?.reason;
  if (blocked) {
    outcome = Object.hasOwn(state.rejected, target) ? "rejected" : "held";
    ctx.log.warn({ stage: "manifest", commit: target, reason }, `commit ${target.slice(0, 12)} is ${outcome}; keeping the last good commit`);
  } else {
    ctx.log.info({ stage: "manifest", commit: target }, "validating");
    try {
      return { outcome, desired: await acceptCommit(ctx, gitdir, target, dryRun, { state, engine }), reason };
    } catch (err) {
      if (!isRejection(err) || dryRun) throw err;
      outcome = "rejected";
      await ctx.store.update((s) => markRejected(s, target, err.message, new Date().toISOString()));
      await ctx.journal.append({ commit: target, action: "reject", reason: err.message, outcome: "rejected" });
      ctx.log.error({ stage: REJECTED_BY[err.code].stage, commit: target, reason: err.message }, `commit rejected: ${REJECTED_BY[err.code].what}; nothing changed`);
      await emitOutcome(ctx, { commit: target, outcome: "rejected", reason: firstLine(err) });
      // The pass's result (what `sync` prints) also says what to do about it.
      reason = err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
    }
  }
  if (!lastGood) return { outcome, desired: undefined, reason };
  return { outcome, desired: await loadCheckedLastGood(ctx, gitdir, lastGood, target, engine), reason };
}
