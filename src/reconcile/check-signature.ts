import { SignatureRejectedError } from "../errors.js";
import { loadTrustAnchors } from "../source/trust-anchors.js";
import { verifyCommitSignature, type SignatureVerdict } from "../source/verify-signature.js";
import type { ReconcileContext } from "./context.js";

/**
 * The first check a target commit meets, before its manifest is even read (security.verify):
 *  - off:     nothing is checked (undefined);
 *  - warn:    the signature is verified; a bad one is logged and the commit applies;
 *  - enforce: the verdict comes back with a SignatureRejectedError when it is not good.
 * Writes nothing: the pass records the verdict (record-outcome.ts recordSignatureVerdict), once per
 * commit and verdict, for `gitdock status` and the journal.
 */
export async function checkSignature(
  ctx: ReconcileContext,
  gitdir: string,
  commit: string,
): Promise<{ verdict: SignatureVerdict; rejected?: SignatureRejectedError } | undefined> {
  const { mode } = ctx.settings.security.verify;
  if (mode === "off") return undefined;
  const { anchors, warnings } = await loadTrustAnchors(ctx.settings.security.verify);
  for (const w of warnings) ctx.log.warn({ stage: "verify" }, w);
  ctx.log.debug({ stage: "verify", commit, mode }, "verifying the commit's signature");
  const verdict = await verifyCommitSignature(gitdir, commit, anchors);
  if (verdict.status === "valid") return { verdict };
  if (mode === "warn") {
    ctx.log.warn(
      { stage: "verify", commit, status: verdict.status, reason: verdict.reason },
      `signature ${verdict.status}: ${verdict.reason}; applying anyway (verify.mode is warn)`,
    );
    return { verdict };
  }
  return { verdict, rejected: new SignatureRejectedError(commit, verdict.status, verdict.reason) };
}
