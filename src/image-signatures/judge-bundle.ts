import { bundleFromJSON, ValidationError, type Bundle, type Envelope } from "@sigstore/bundle";
import { dsse } from "@sigstore/core";
import { toSignedEntity } from "@sigstore/verify";
import { parseSignStatement } from "./in-toto-statement.js";
import { keylessVerdict } from "./keyless-verdict.js";
import type { KeylessTrust, ScopeTrust } from "./scope-trust.js";
import { signs } from "./signature-crypto.js";
import type { SigningKey } from "./public-keys.js";
import type { ImageSigner, ImageVerdict } from "./verdict.js";

/**
 * One Sigstore bundle (read and checked by @sigstore/bundle) against a scope's trust: a DSSE
 * envelope signed by a listed key (the bundle's key hint names it), or by a certificate that
 * @sigstore/verify chains to the pinned trusted root, with a verified timestamp, for an identity
 * the policy lists; and the envelope's statement must be an image signature whose subject is the
 * pinned digest. Offline: nothing here reaches the network. Pure but for the clock. Loaded only
 * when a bundle is found (verify-image.ts): the Sigstore libraries weigh about 10 MB in memory.
 */
export function judgeBundle(json: unknown, digest: string, trust: ScopeTrust): ImageVerdict {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    // Field names only: the document's values are the pusher's text.
    const fields = err instanceof ValidationError ? `: ${err.fields.join(", ").slice(0, 200)}` : "";
    return { status: "malformed", reason: `a Sigstore bundle that cannot be read${fields}` };
  }
  if (bundle.content.$case !== "dsseEnvelope") {
    return {
      status: "malformed",
      reason: "a Sigstore bundle with a message signature, which signs a blob, not an image (cosign signs images with a DSSE envelope)",
    };
  }
  const envelope = bundle.content.dsseEnvelope;
  const verified =
    bundle.verificationMaterial.content.$case === "publicKey"
      ? byKey(envelope, bundle.verificationMaterial.content.publicKey.hint, trust)
      : byCertificate(bundle, trust.keyless);
  if (verified.status !== "valid") return verified;
  return subjectVerdict(envelope, digest, verified.signer);
}

function byKey(envelope: Envelope, hint: string, trust: ScopeTrust): ImageVerdict {
  const signatures = envelope.signatures.map((s) => s.sig);
  const key = trust.keys.find((k) => signatures.some((sig) => signsEnvelope(k, envelope.payloadType, envelope.payload, sig)));
  if (key)
    return { status: "valid", signer: { kind: "key", algorithm: key.algorithm, fingerprint: key.fingerprint, source: key.source }, layout: "sigstore-bundle" };
  const hints = new Set([hint, ...envelope.signatures.map((s) => s.keyid)].filter((h) => h !== ""));
  const named = trust.keys.find((k) => hints.has(k.hint));
  if (named)
    return {
      status: "tampered",
      reason: `the bundle names listed key ${named.fingerprint}, but its signature does not match the signed statement: it was changed after signing`,
    };
  // The hint is the bundle's own claim: not repeated in the verdict (it reaches the journal and notes).
  return { status: "untrusted", reason: `a Sigstore bundle signed by a key the policy does not list for ${trust.rule.scope}` };
}

function byCertificate(bundle: Bundle, keyless: KeylessTrust | undefined): ImageVerdict {
  let entity;
  try {
    entity = toSignedEntity(bundle);
  } catch {
    return { status: "malformed", reason: "a Sigstore bundle whose certificate or timestamps cannot be read" };
  }
  const { key } = entity;
  if (key.$case !== "certificate") return { status: "malformed", reason: "a Sigstore bundle without a key or certificate" };
  return keylessVerdict({ ...entity, key }, keyless, "sigstore-bundle");
}

function subjectVerdict(envelope: Envelope, digest: string, signer: ImageSigner): ImageVerdict {
  const by = signer.kind === "key" ? `key ${signer.fingerprint}` : signer.subject;
  const statement = parseSignStatement(envelope.payloadType, envelope.payload);
  if ("problem" in statement) return { status: "malformed", reason: `signed by ${by}, but ${statement.problem}` };
  if (!statement.digests.includes(digest))
    return { status: "wrong-digest", reason: `signed by ${by}, but over another image: ${statement.digests.slice(0, 3).join(", ")}` };
  return { status: "valid", signer, layout: "sigstore-bundle" };
}

/** A DSSE envelope's signature: over the pre-authentication encoding of its payload type and payload. */
function signsEnvelope(key: SigningKey, payloadType: string, payload: Buffer, signature: Buffer): boolean {
  return signs(key, dsse.preAuthEncoding(payloadType, payload), signature);
}
