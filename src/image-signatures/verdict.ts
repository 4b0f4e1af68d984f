/**
 * What verifying an image's signatures found, as a closed set (like a commit signature's verdict):
 *  - valid:        a signature by a key or identity the policy lists, over exactly the pinned digest;
 *  - missing:      no signature in either layout (cosign's `.sig` tag, Sigstore bundle referrers);
 *  - untrusted:    signatures, but none by a key or identity the policy lists;
 *  - tampered:     a listed signer's signature that does not match what it signs (changed after signing);
 *  - wrong-digest: a listed signer's valid signature over another image;
 *  - malformed:    signature data that cannot be read.
 * Signer identities are public data: they go to `gitdock status`, the journal and git notes.
 */

export type ImageSigner =
  { kind: "key"; algorithm: "ecdsa-p256" | "ed25519"; fingerprint: string; source: string } | { kind: "keyless"; subject: string; issuer: string };

/** Where the accepted signature was found. */
export type SignatureLayout = "cosign-tag" | "sigstore-bundle";

export type ImageSignatureFailure = "missing" | "untrusted" | "tampered" | "wrong-digest" | "malformed";

export type ImageVerdict = { status: "valid"; signer: ImageSigner; layout: SignatureLayout } | { status: ImageSignatureFailure; reason: string };

/** The more telling of two verdicts: valid first, then the failures that say most about a listed signer. */
export function betterVerdict(a: ImageVerdict, b: ImageVerdict): ImageVerdict {
  return RANK[b.status] > RANK[a.status] ? b : a;
}

const RANK: Record<ImageVerdict["status"], number> = { valid: 5, "wrong-digest": 4, tampered: 3, untrusted: 2, malformed: 1, missing: 0 };

/** `ecdsa-p256 key SHA256:… (/etc/gitdock/cosign.pub)`, `keyless https://github.com/… (issuer https://…)`. */
export function describeImageSigner(s: ImageSigner): string {
  return s.kind === "key" ? `${s.algorithm} key ${s.fingerprint} (${s.source})` : `keyless ${s.subject} (issuer ${s.issuer})`;
}

/** The signer in a few words for one-line records (git notes): no host paths. */
export function shortImageSigner(s: ImageSigner): string {
  return s.kind === "key" ? `key ${s.fingerprint}` : `keyless ${s.subject} (${s.issuer})`;
}
