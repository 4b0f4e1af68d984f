import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/**
 * A public key an image signature may be made with: ECDSA P-256 (what `cosign generate-key-pair`
 * makes; cosign.pub is a PEM "PUBLIC KEY") or Ed25519. Named by its fingerprint, the SHA-256 of
 * its SubjectPublicKeyInfo (DER), written as `SHA256:<base64>` like an SSH key's.
 */
export interface SigningKey {
  key: KeyObject;
  algorithm: "ecdsa-p256" | "ed25519";
  fingerprint: string;
  /** What Sigstore bundles put in `publicKey.hint` (cosign: base64 of the same SHA-256). */
  hint: string;
  /** Where the key was written: its file, or `inline key N` of the scope. */
  source: string;
}

/** The key in `pem`, or why it cannot sign images for gitdock. */
export function parseSigningKey(pem: string, source: string): SigningKey | { problem: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    return { problem: `not a PEM public key (${(err as Error).message})` };
  }
  if (key.type !== "public") return { problem: "not a public key" };
  const algorithm = algorithmOf(key);
  if (!algorithm) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return { problem: `a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ""} key; image signatures are verified with ECDSA P-256 and Ed25519 keys` };
  }
  const digest = createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest();
  return { key, algorithm, fingerprint: `SHA256:${digest.toString("base64").replace(/=+$/, "")}`, hint: digest.toString("base64"), source };
}

/** For the config schema: why an inline key is unusable, or undefined when it is fine. */
export function inlineKeyProblem(pem: string): string | undefined {
  const parsed = parseSigningKey(pem, "inline");
  return "problem" in parsed ? parsed.problem : undefined;
}

function algorithmOf(key: KeyObject): SigningKey["algorithm"] | undefined {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ecdsa-p256";
  return undefined;
}
