import type { CommitObject } from "isomorphic-git";

/**
 * A commit's signature as `history` reports it. Without trust anchors this says only whether the
 * commit carries a signature and of which kind; it never claims the signature is valid.
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
