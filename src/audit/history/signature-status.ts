import type { CommitObject } from "isomorphic-git";
import type { VerifySettings } from "../../config/security-section.js";
import { loadTrustAnchors } from "../../source/trust-anchors.js";
import { verifyCommitSignature } from "../../source/verify-signature.js";

/**
 * A commit's signature as `history` reports it. Without trust anchors this says only whether the
 * commit carries a signature and of which kind; it never claims the signature is valid then.
 */
export interface SignatureStatus {
  status: "signed" | "unsigned" | "valid" | "missing" | "malformed" | "untrusted" | "tampered" | "wrong-format";
  format?: "ssh" | "openpgp" | "x509";
  /** Who signed it (verified signatures) or why it is not accepted. */
  detail?: string;
}

/** From the commit's `gpgsig` header alone: signed or unsigned, and the kind of signature. */
export function signaturePresence(commit: CommitObject): SignatureStatus {
  const sig = commit.gpgsig?.trimStart();
  if (!sig) return { status: "unsigned" };
  if (sig.startsWith("-----BEGIN SSH SIGNATURE-----")) return { status: "signed", format: "ssh" };
  if (sig.startsWith("-----BEGIN PGP SIGNATURE-----")) return { status: "signed", format: "openpgp" };
  return { status: "signed", format: "x509" };
}

/**
 * With trust anchors configured (security.verify), each commit's signature is verified by the
 * host's own verifier (src/source/verify-signature.ts) against today's keys: `valid` names the
 * signer; a failure says why (untrusted key, tampered content, ...). Without them: presence only.
 */
export async function signatureChecker(
  verify: VerifySettings,
  gitdir: string,
): Promise<((oid: string, commit: CommitObject) => Promise<SignatureStatus>) | undefined> {
  if (!verify.allowedSigners && !verify.openpgpKeyring) return undefined;
  const { anchors } = await loadTrustAnchors(verify);
  return async (oid, commit) => {
    const v = await verifyCommitSignature(gitdir, oid, anchors);
    if (v.status === "valid") return { status: "valid", format: v.signer.format, detail: `${v.signer.principal} (${v.signer.fingerprint})` };
    if (v.status === "missing") return { status: "unsigned" };
    const { format } = signaturePresence(commit);
    return { status: v.status, ...(format ? { format } : {}), detail: v.reason };
  };
}
