import type { HostState } from "../state/index.js";
import { isBlocked } from "../state/index.js";
import type { CommitChoice, ReconcileContext } from "./context.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";

/**
 * A sync window holds new commits back (`reconcile(ctx, {holdTarget})`): when the branch head is
 * a commit the host has not taken yet, reconcile toward the last good commit instead (drift repair
 * goes on) and report the head as "waiting". The head is not validated or marked in any way: once
 * the window opens, it is taken like any new commit.
 *
 * The last good commit is re-checked first (recheck-last-good.ts): when it no longer passes,
 * LastGoodRejectedError halts the pass.
 *
 * Undefined when nothing is waiting: the head is the last good commit already, or it is blocked
 * (rejected or failed), which `chooseCommit` reports as it always does.
 */
export async function holdTarget(ctx: ReconcileContext, state: HostState, gitdir: string, target: string, reason: string): Promise<CommitChoice | undefined> {
  const lastGood = state.lastGood?.commit;
  if (target === lastGood || isBlocked(state, target)) return undefined;
  ctx.log.info(
    { stage: "manifest", commit: target, reason, lastGood },
    `commit ${target.slice(0, 12)} is waiting: ${reason}; ${lastGood ? `keeping ${lastGood.slice(0, 12)}` : "nothing is applied yet"}`,
  );
  const desired = lastGood ? await loadCheckedLastGood(ctx, gitdir, lastGood, target) : undefined;
  return { outcome: "waiting", desired, reason };
}
