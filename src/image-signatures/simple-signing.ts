/**
 * Cosign's classic signature payload: a "simple signing" document
 * (`application/vnd.dev.cosign.simplesigning.v1+json`, the format of containers-signature(5)):
 *
 *   {"critical": {"identity": {"docker-reference": "ghcr.io/acme/web"},
 *                 "image": {"docker-manifest-digest": "sha256:..."},
 *                 "type": "cosign container image signature"},
 *    "optional": {...}}
 *
 * What it signs is `critical.image.docker-manifest-digest`. Pure.
 */

export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

export interface SimpleSigningClaim {
  /** The manifest digest the payload names. */
  digest: string;
  /** `critical.identity.docker-reference`, informative only (cosign ignores it too). */
  dockerReference: string | undefined;
}

/** The digest a payload signs, or why it is not a cosign image signature payload. */
export function parseSimpleSigning(payload: Buffer): SimpleSigningClaim | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString("utf8"));
  } catch {
    return { problem: "the signed payload is not JSON" };
  }
  const critical = member(doc, "critical");
  if (!isObject(critical)) return { problem: "the signed payload has no critical section" };
  const type = member(critical, "type");
  if (type !== COSIGN_SIGNATURE_TYPE) return { problem: `the signed payload's critical.type is ${JSON.stringify(type)}, not "${COSIGN_SIGNATURE_TYPE}"` };
  const digest = member(member(critical, "image"), "docker-manifest-digest");
  if (typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest)) return { problem: "the signed payload names no sha256 manifest digest" };
  const reference = member(member(critical, "identity"), "docker-reference");
  return { digest, dockerReference: typeof reference === "string" ? reference : undefined };
}

/**
 * A member by name. Cosign reads these documents with Go's encoding/json, which also takes a key
 * written in another case (`Docker-manifest-digest`, as cosign's own spec shows it): the exact key
 * wins; otherwise one case-insensitive match is taken, and two are refused as ambiguous.
 */
function member(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  if (Object.hasOwn(obj, name)) return obj[name];
  const matches = Object.keys(obj).filter((k) => k.toLowerCase() === name.toLowerCase());
  return matches.length === 1 ? obj[matches[0] as string] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
