/**
 * What a Sigstore bundle attached by `cosign sign` (cosign 3's default) signs: a DSSE envelope
 * whose payload is an in-toto statement with predicate type `https://sigstore.dev/cosign/sign/v1`
 * and the image's manifest digest as a subject:
 *
 *   {"_type": "https://in-toto.io/Statement/v1",
 *    "subject": [{"name": "ghcr.io/acme/web", "digest": {"sha256": "<64 hex>"}}],
 *    "predicateType": "https://sigstore.dev/cosign/sign/v1", "predicate": {}}
 *
 * Other predicates (SBOMs, SLSA provenance) attached the same way are attestations about the
 * image, not its signature, and do not count. Pure.
 */

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const SIGN_PREDICATE_TYPE = "https://sigstore.dev/cosign/sign/v1";
const STATEMENT_TYPES = new Set(["https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"]);

/** The manifest digests (`sha256:<hex>`) a signature statement names, or why it is not one. */
export function parseSignStatement(payloadType: string, payload: Buffer): { digests: string[] } | { problem: string } {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return { problem: `the envelope's payload type is ${JSON.stringify(payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}` };
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString("utf8"));
  } catch {
    return { problem: "the signed statement is not JSON" };
  }
  if (!isObject(doc) || typeof doc._type !== "string" || !STATEMENT_TYPES.has(doc._type)) return { problem: "the signed payload is not an in-toto statement" };
  if (doc.predicateType !== SIGN_PREDICATE_TYPE) {
    return { problem: `the statement's predicate is ${JSON.stringify(doc.predicateType)}, not an image signature (${SIGN_PREDICATE_TYPE})` };
  }
  const subjects = Array.isArray(doc.subject) ? doc.subject : [];
  const digests = subjects.flatMap((s: unknown) => {
    const hex = isObject(s) && isObject(s.digest) ? s.digest.sha256 : undefined;
    return typeof hex === "string" && /^[a-f0-9]{64}$/.test(hex) ? [`sha256:${hex}`] : [];
  });
  return digests.length > 0 ? { digests } : { problem: "the statement names no sha256 subject" };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
