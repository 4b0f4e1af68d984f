import { ManifestInvalidError, PolicyViolationError, SignatureRejectedError } from "../errors.js";
import type { DesiredState } from "../model.js";
import type { HostSnapshot } from "../plan/index.js";
import { isBlocked, markRejected, type HostState } from "../state/index.js";
import { acceptCommit } from "./accept-commit.js";
import { loadDesiredState } from "./load-desired.js";
import { emitOutcome } from "./outcome.js";
import type { ReconcileContext, ReconcileOutcome } from "./reconcile.js";

export interface DesiredChoice {
  outcome: ReconcileOutcome;
  /** What to reconcile toward; undefined when there is nothing safe to reconcile toward. */
  desired: DesiredState | undefined;
  reason: string | undefined;
}

/**
 * The target commit, unless it is blocked (rejected or failed before, and no retry asked): then the
 * last good commit, so drift is still repaired but the bad commit is never applied by itself.
 * A target whose signature, manifest or policy check fails (accept-commit.ts) is marked rejected
 * here, before anything touches the host.
 */
export async function chooseDesired(
  ctx: ReconcileContext,
  state: HostState,
  gitdir: string,
  target: string,
  dryRun: boolean,
  engine: () => Promise<HostSnapshot>,
): Promise<DesiredChoice> {
  const blocked = isBlocked(state, target);
  let outcome: ReconcileOutcome = "synced";
  let reason = blocked?.reason;
  if (blocked) {
    outcome = Object.hasOwn(state.rejected, target) ? "rejected" : "held";
    ctx.log.warn({ stage: "manifest", commit: target, reason }, `commit ${target.slice(0, 12)} is ${outcome}; keeping the last good commit`);
  } else {
    ctx.log.info({ stage: "manifest", commit: target }, "validating");
    try {
      return { outcome, desired: await acceptCommit(ctx, gitdir, target, dryRun, engine), reason };
    } catch (err) {
      if (!isRejection(err) || dryRun) throw err;
      outcome = "rejected";
      reason = err.message;
      await ctx.store.update((s) => markRejected(s, target, err.message, new Date().toISOString()));
      await ctx.journal.append({ commit: target, action: "reject", reason, outcome: "rejected" });
      ctx.log.error({ stage: REJECTED_BY[err.code].stage, commit: target, reason }, `commit rejected: ${REJECTED_BY[err.code].what}; nothing changed`);
      await emitOutcome(ctx, { commit: target, outcome: "rejected", reason: firstLine(err) });
    }
  }
  const lastGood = state.lastGood?.commit;
  if (!lastGood || lastGood === target) return { outcome, desired: undefined, reason };
  return { outcome, desired: await loadDesiredState(gitdir, lastGood, ctx.settings.path), reason };
}

type Rejection = ManifestInvalidError | PolicyViolationError | SignatureRejectedError;

const REJECTED_BY: Record<Rejection["code"], { stage: string; what: string; prefix: string }> = {
  GITDOCK_E_MANIFEST_INVALID: { stage: "manifest", what: "invalid manifest", prefix: "invalid" },
  GITDOCK_E_POLICY_VIOLATION: { stage: "policy", what: "it breaks the host policy", prefix: "policy" },
  GITDOCK_E_SIGNATURE_REJECTED: { stage: "verify", what: "its signature is not acceptable", prefix: "signature" },
};

function isRejection(err: unknown): err is Rejection {
  return err instanceof ManifestInvalidError || err instanceof PolicyViolationError || err instanceof SignatureRejectedError;
}

/** The first problem, for one-line outcomes (notes, markers); the journal keeps them all. */
function firstLine(err: Rejection): string {
  if (err instanceof SignatureRejectedError) return err.message;
  const { prefix } = REJECTED_BY[err.code];
  const first = err.problems[0];
  const more = err.problems.length > 1 ? ` (+${err.problems.length - 1} more)` : "";
  return first ? `${prefix}: ${first.file}:${first.line}:${first.col}: ${first.path ? `${first.path}: ` : ""}${first.message}${more}` : prefix;
}
