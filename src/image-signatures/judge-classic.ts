import type { ClassicSignature } from "./oci-documents.js";
import type { ScopeTrust } from "./scope-trust.js";
import { signs } from "./signature-crypto.js";
import { parseSimpleSigning } from "./simple-signing.js";
import type { ImageVerdict } from "./verdict.js";

/**
 * One signature of cosign's classic layout against a scope's keys: the signature must verify over
 * the payload's exact bytes under a listed key (or, with a certificate annotation, be a keyless
 * signature the scope's keyless trust accepts), and the payload must name the pinned digest. A
 * classic key signature names no key, so "signed by an unknown key" and "payload changed after
 * signing" cannot be told apart: both are untrusted, and the reason says so. Pure.
 */
export async function judgeClassic(sig: ClassicSignature, payload: Buffer, digest: string, trust: ScopeTrust): Promise<ImageVerdict> {
  const key = trust.keys.find((k) => signs(k, payload, sig.signature));
  if (!key && sig.certificate !== undefined) return judgeKeyless(sig, payload, digest, trust);
  if (!key) {
    const listed = trust.keys.length === 0 ? `the policy lists no key for ${trust.rule.scope}` : `no key the policy lists for ${trust.rule.scope} verifies it`;
    return {
      status: "untrusted",
      reason: `a cosign signature (${sig.payload.digest.slice(0, 19)}…), but ${listed}: signed by an unknown key, or its payload was changed after signing`,
    };
  }
  const claim = parseSimpleSigning(payload);
  const signer = { kind: "key" as const, algorithm: key.algorithm, fingerprint: key.fingerprint, source: key.source };
  if ("problem" in claim) return { status: "malformed", reason: `signed by key ${key.fingerprint}, but ${claim.problem}` };
  if (claim.digest !== digest) return { status: "wrong-digest", reason: `signed by key ${key.fingerprint}, but over another image: ${claim.digest}` };
  return { status: "valid", signer, layout: "cosign-tag" };
}

/**
 * A certificate annotation: a keyless signature, judged by its certificate, then by what the
 * payload names. The Sigstore libraries it needs are loaded only then (about 10 MB in memory).
 */
async function judgeKeyless(sig: ClassicSignature, payload: Buffer, digest: string, trust: ScopeTrust): Promise<ImageVerdict> {
  const [{ classicKeylessEntity }, { keylessVerdict }] = await Promise.all([import("./classic-keyless.js"), import("./keyless-verdict.js")]);
  const entity = classicKeylessEntity(sig, payload);
  if ("problem" in entity) return { status: "malformed", reason: entity.problem };
  const verdict = keylessVerdict(entity, trust.keyless, "cosign-tag");
  if (verdict.status !== "valid" || verdict.signer.kind !== "keyless") return verdict;
  const claim = parseSimpleSigning(payload);
  if ("problem" in claim) return { status: "malformed", reason: `signed by ${verdict.signer.subject}, but ${claim.problem}` };
  if (claim.digest !== digest) return { status: "wrong-digest", reason: `signed by ${verdict.signer.subject}, but over another image: ${claim.digest}` };
  return verdict;
}
