import type { X509Certificate } from "@sigstore/core";
import { Verifier, VerificationError, type SignedEntity } from "@sigstore/verify";
import { certificateIdentity, identityAccepted } from "./keyless-identity.js";
import type { KeylessTrust } from "./scope-trust.js";
import type { ImageVerdict, SignatureLayout } from "./verdict.js";

/**
 * A keyless signature (a Fulcio certificate's key) against a scope's keyless trust, with
 * @sigstore/verify: the certificate chains to the pinned trusted root at a verified time, the
 * signature verifies, and the certificate names a listed identity. What it signs is the caller's.
 *
 * A certificate's identity is the pusher's text until the certificate chains to the trusted root:
 * only then is it named in a verdict (which reaches the journal and git notes).
 */
export function keylessVerdict(
  entity: SignedEntity & { key: { $case: "certificate"; certificate: X509Certificate } },
  keyless: KeylessTrust | undefined,
  layout: SignatureLayout,
): ImageVerdict {
  if (!keyless) return { status: "untrusted", reason: "a keyless signature; the policy accepts only keys for this scope" };
  const identity = certificateIdentity(entity.key.certificate);
  const who = `${identity.subject ?? "no subject"} (issuer ${identity.issuer ?? "none"})`;
  let failure: string | undefined;
  try {
    new Verifier(keyless.material, keyless.thresholds).verify(entity);
  } catch (err) {
    failure = err instanceof VerificationError ? err.code : "VERIFICATION_ERROR";
  }
  // The signature is checked last, after the certificate chain, timestamps and log entries: failing there, the identity is vouched for.
  const vouched = failure === undefined || failure === "SIGNATURE_ERROR";
  if (!vouched) return { status: "untrusted", reason: `a keyless signature whose certificate does not verify against the trusted root (${failure})` };
  if (!identityAccepted(identity, keyless.identities))
    return { status: "untrusted", reason: `a keyless signature by ${who}, an identity the policy does not list` };
  if (failure) return { status: "tampered", reason: `the keyless signature by ${who} does not match what it signs: it was changed after signing` };
  return { status: "valid", signer: { kind: "keyless", subject: identity.subject ?? "", issuer: identity.issuer ?? "" }, layout };
}
