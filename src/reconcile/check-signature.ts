import { SignatureRejectedError } from "../errors.js";
import { loadTrustAnchors } from "../source/trust-anchors.js";
import { readSignatureRecords, recordSignature } from "../source/signer-record.js";
import { verifyCommitSignature, type SignatureVerdict } from "../source/verify-signature.js";
import type { ReconcileContext } from "./reconcile.js";

/**
 * The first check a target commit meets, before its manifest is even read (security.verify):
 *  - off:     nothing is checked;
 *  - warn:    the signature is verified and recorded; a bad one is logged and the commit applies;
 *  - enforce: a commit whose signature is not good is rejected (SignatureRejectedError).
 * The verdict — which key signed, or why not — is logged, journaled and kept for `gitdock status`.
 */
export async function checkSignature(ctx: ReconcileContext, gitdir: string, commit: string, dryRun: boolean): Promise<SignatureVerdict | undefined> {
  const { mode } = ctx.settings.security.verify;
  if (mode === "off") return undefined;
  const { anchors, warnings } = await loadTrustAnchors(ctx.settings.security.verify);
  for (const w of warnings) ctx.log.warn({ stage: "verify" }, w);
  ctx.log.info({ stage: "verify", commit, mode }, "verifying the commit's signature");
  const verdict = await verifyCommitSignature(gitdir, commit, anchors);
  // Every poll verifies the branch head again; only a new verdict is journaled and logged at info.
  const isNew = dryRun ? true : await remember(ctx, commit, verdict);
  if (verdict.status === "valid") {
    const { format, fingerprint, principal } = verdict.signer;
    ctx.log[isNew ? "info" : "debug"]({ stage: "verify", commit, signer: { format, fingerprint, principal } }, `commit ${commit.slice(0, 12)} signed by ${principal} (${fingerprint})`);
    return verdict;
  }
  if (mode === "warn") {
    ctx.log.warn({ stage: "verify", commit, status: verdict.status, reason: verdict.reason }, `signature ${verdict.status}: ${verdict.reason}; applying anyway (verify.mode is warn)`);
    return verdict;
  }
  throw new SignatureRejectedError(commit, verdict.status, verdict.reason);
}

/** Records the verdict unless the same one is on record already; true when it was new. */
async function remember(ctx: ReconcileContext, commit: string, verdict: SignatureVerdict): Promise<boolean> {
  const known = (await readSignatureRecords(ctx.settings.stateDir).catch(() => [])).find((r) => r.commit === commit);
  const same = known?.status === verdict.status && (verdict.status !== "valid" || known.signer?.fingerprint === verdict.signer.fingerprint);
  if (same) return false;
  const at = new Date().toISOString();
  const record = verdict.status === "valid" ? { commit, at, status: verdict.status, signer: verdict.signer } : { commit, at, status: verdict.status, reason: verdict.reason };
  await recordSignature(ctx.settings.stateDir, record);
  await ctx.journal.append({
    commit,
    action: "verify",
    outcome: verdict.status,
    ...(verdict.status === "valid" ? { data: { ...verdict.signer } } : { reason: verdict.reason }),
  });
  return true;
}
