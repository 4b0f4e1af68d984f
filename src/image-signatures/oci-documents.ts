/**
 * The registry documents signatures live in, read as untrusted JSON (anyone who can push to the
 * repository wrote them). Pure: the registry calls are in find-signatures.ts.
 *
 *  - Cosign's classic layout: the tag `sha256-<hex>.sig` of the image's repository holds an image
 *    manifest whose layers are simple-signing payloads, each with its signature (base64) in the
 *    layer annotation `dev.cosignproject.cosign/signature`, optionally a certificate, a chain, a
 *    Rekor bundle and an RFC 3161 timestamp (cosign's SIGNATURE_SPEC).
 *  - Sigstore bundles as OCI referrers (cosign's BUNDLE_SPEC): image manifests with
 *    `artifactType: application/vnd.dev.sigstore.bundle.v0.3+json` whose `subject` is the image,
 *    listed by the referrers API or the referrers tag `sha256-<hex>` (an image index); the one
 *    layer holds the bundle JSON.
 */
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./simple-signing.js";

export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
export const CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
export const REKOR_BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
export const TIMESTAMP_ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp";
export const BUNDLE_ARTIFACT_TYPES = ["application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.3"];

/** A payload and signature bytes are small; anything larger is not a signature. */
export const MAX_SIGNATURE_BLOB_BYTES = 256 * 1024;
/** At most this many signatures of one image are looked at (a repository could list thousands). */
export const MAX_CANDIDATES = 20;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType: string | undefined;
  annotations: Record<string, string>;
}

/** One signature of the classic layout: a payload blob and what its layer's annotations carry. */
export interface ClassicSignature {
  payload: Descriptor;
  /** The signature bytes (the annotation, base64-decoded). */
  signature: Buffer;
  certificate: string | undefined;
  chain: string | undefined;
  rekorBundle: string | undefined;
  timestamp: string | undefined;
}

/** `sha256:<hex>` → the tag of cosign's classic layout. */
export function classicSignatureTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}

/** `sha256:<hex>` → the referrers tag schema's tag (OCI distribution spec). */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-");
}

/** The classic layout's signatures in a `.sig` manifest; a layer that is not one is skipped, a broken one reported. */
export function classicSignatures(manifest: unknown): { signatures: ClassicSignature[]; problems: string[] } {
  const signatures: ClassicSignature[] = [];
  const problems: string[] = [];
  const layers = isObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
  for (const raw of layers.slice(0, MAX_CANDIDATES)) {
    const layer = descriptor(raw);
    if (!layer || layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
    const encoded = layer.annotations[SIGNATURE_ANNOTATION];
    const signature = encoded === undefined ? undefined : base64(encoded);
    if (!signature) {
      problems.push(`payload ${layer.digest.slice(0, 19)}… carries ${encoded === undefined ? "no" : "an unreadable"} ${SIGNATURE_ANNOTATION} annotation`);
      continue;
    }
    const a = layer.annotations;
    signatures.push({
      payload: layer,
      signature,
      certificate: a[CERTIFICATE_ANNOTATION],
      chain: a[CHAIN_ANNOTATION],
      rekorBundle: a[REKOR_BUNDLE_ANNOTATION],
      timestamp: a[TIMESTAMP_ANNOTATION],
    });
  }
  return { signatures, problems };
}

/** The Sigstore bundle manifests an index of referrers lists (by artifact type). */
export function bundleReferrers(index: unknown): Descriptor[] {
  const manifests = isObject(index) && Array.isArray(index.manifests) ? index.manifests : [];
  return manifests
    .map(descriptor)
    .filter((d): d is Descriptor => d !== undefined && d.artifactType !== undefined && BUNDLE_ARTIFACT_TYPES.includes(d.artifactType))
    .slice(0, MAX_CANDIDATES);
}

/** A bundle manifest's bundle layer, when the manifest is a Sigstore bundle about `subject`. */
export function bundleLayer(manifest: unknown, subject: string): Descriptor | { problem: string } {
  if (!isObject(manifest)) return { problem: "the bundle manifest is not a JSON object" };
  const about = descriptor(manifest.subject);
  if (about?.digest !== subject) return { problem: `the bundle manifest's subject is ${about?.digest ?? "missing"}, not ${subject}` };
  const layers = Array.isArray(manifest.layers) ? manifest.layers.map(descriptor) : [];
  const layer = layers.find((l) => l !== undefined && BUNDLE_ARTIFACT_TYPES.includes(l.mediaType));
  return layer ?? { problem: "the bundle manifest has no Sigstore bundle layer" };
}

function descriptor(raw: unknown): Descriptor | undefined {
  if (!isObject(raw)) return undefined;
  const { mediaType, digest, size, artifactType, annotations } = raw;
  if (typeof mediaType !== "string" || typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest)) return undefined;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) return undefined;
  const notes = isObject(annotations) ? Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
  return { mediaType, digest, size, artifactType: typeof artifactType === "string" ? artifactType : undefined, annotations: notes };
}

function base64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text.trim())) return undefined;
  const bytes = Buffer.from(text.trim(), "base64");
  return bytes.length > 0 ? bytes : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
