import { describeError, type LastGoodRejectedError } from "../errors.js";
import { clearHalted, isBlocked, markHalted, type HostState } from "../state/index.js";
import type { ReconcileContext, ReconcileResult } from "./reconcile.js";

/**
 * The pass's result when the last good commit no longer passes (LastGoodRejectedError, from any
 * stage): nothing was changed, and gitdock says so loudly — an error log line on every such pass,
 * the `halted` mark in state.json (for `gitdock status` and the agent's gauge) and, when the halt
 * begins or its reason changes, one journal line. A plan (dry run) writes nothing. When the target
 * itself is rejected or failed, the result says that too: both need a person.
 */
export async function haltPass(ctx: ReconcileContext, err: LastGoodRejectedError, dryRun: boolean): Promise<ReconcileResult> {
  ctx.log.error(
    { stage: "halted", commit: err.commit, target: err.target, check: err.stage, reason: err.reason },
    `HALTED: ${err.message}; waiting for a new commit that passes`,
  );
  const state = await ctx.store.read();
  if (!dryRun) await recordHalt(ctx, state, err);
  const blocked = err.target === err.commit ? undefined : isBlocked(state, err.target);
  const target = blocked
    ? `\nthe target ${err.target.slice(0, 12)} is ${Object.hasOwn(state.rejected, err.target) ? "rejected" : "held back as failed"}: ${blocked.reason}`
    : "";
  return { outcome: "halted", target: err.target, commit: undefined, plan: undefined, changed: 0, reason: describeError(err) + target, conflicts: [] };
}

async function recordHalt(ctx: ReconcileContext, state: HostState, err: LastGoodRejectedError): Promise<void> {
  const known = state.halted;
  if (known?.commit === err.commit && known.reason === err.message) return;
  await ctx.store.update((s) => markHalted(s, err.commit, err.message, new Date().toISOString()));
  await ctx.journal.append({ commit: err.commit, action: "halt", reason: err.message, outcome: "halted", data: { target: err.target, check: err.stage } });
}

/** A pass that goes on normally ends a halt: the mark is cleared and the journal says so. */
export async function resumeIfHalted(ctx: ReconcileContext, state: HostState): Promise<void> {
  const halted = state.halted;
  if (!halted) return;
  await ctx.store.update(clearHalted);
  await ctx.journal.append({ commit: halted.commit, action: "halt", outcome: "resumed" });
  ctx.log.warn({ stage: "halted", commit: halted.commit }, `no longer halted: gitdock changes the host again (halted since ${halted.at})`);
}
