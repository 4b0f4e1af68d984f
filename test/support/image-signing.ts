/**
 * Signing images in tests the way CI would, with real keys and real formats, for the registry on
 * 127.0.0.1:5000: cosign's classic layout (a simple-signing payload signed with a key made by
 * node:crypto, pushed under the `sha256-<hex>.sig` tag) and Sigstore bundles made by
 * @sigstore/sign's DSSEBundleBuilder with a key of our own (offline: no Fulcio, no Rekor),
 * attached as OCI referrers (the referrers tag schema, or a referrers API served by a test peer).
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { bundleToJSON } from "@sigstore/bundle";
import { DSSEBundleBuilder } from "@sigstore/sign";
import { pushBlob, putManifest, sha256, type RegistryTarget } from "../e2e/helpers/registry-push.js";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

export interface TestKey {
  kind: "ecdsa-p256" | "ed25519";
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PEM "PUBLIC KEY", as cosign.pub. */
  publicPem: string;
}

export function newKey(kind: TestKey["kind"]): TestKey {
  const pair = kind === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { kind, ...pair, publicPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** What cosign does: ECDSA over SHA-256 (DER), or pure Ed25519. */
export function signWith(key: TestKey, data: Buffer): Buffer {
  return key.kind === "ed25519" ? sign(null, data, key.privateKey) : sign("sha256", data, { key: key.privateKey, dsaEncoding: "der" });
}

/** The base64 SHA-256 of the key's SPKI: what cosign puts in a bundle's `publicKey.hint`. */
export function keyHint(key: TestKey): string {
  return Buffer.from(sha256(key.publicKey.export({ type: "spki", format: "der" })).slice("sha256:".length), "hex").toString("base64");
}

/** A cosign simple-signing payload naming `digest`. */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { "docker-reference": dockerReference }, image: { "docker-manifest-digest": digest }, type: "cosign container image signature" },
      optional: null,
    }),
  );
}

/** Pushes cosign's classic signature manifest for `digest`: one layer per (payload, signature). Returns the manifest's digest. */
export async function pushClassicSignatures(
  t: RegistryTarget,
  repo: string,
  digest: string,
  layers: { payload: Buffer; signature: Buffer; annotations?: Record<string, string> }[],
): Promise<string> {
  const config = Buffer.from("{}");
  const configDigest = await pushBlob(t, repo, config);
  const descriptors = [];
  for (const l of layers) {
    const payloadDigest = await pushBlob(t, repo, l.payload);
    descriptors.push({
      mediaType: SIMPLE_SIGNING,
      digest: payloadDigest,
      size: l.payload.length,
      annotations: { "dev.cosignproject.cosign/signature": l.signature.toString("base64"), ...l.annotations },
    });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: descriptors,
  };
  return putManifest(t, repo, `${digest.replace(":", "-")}.sig`, OCI_MANIFEST, Buffer.from(JSON.stringify(manifest)));
}

/** The in-toto statement `cosign sign` (cosign 3) signs for an image. */
export function signStatement(name: string, digests: string[], predicateType = SIGN_PREDICATE): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: digests.map((d) => ({ name, digest: { sha256: d.slice("sha256:".length) } })),
      predicateType,
      predicate: {},
    }),
  );
}

/**
 * A Sigstore bundle (v0.3 JSON) of a DSSE envelope over `statement`, made by @sigstore/sign with
 * our key (or, for keyless, our leaf certificate) and no witness: nothing leaves the machine.
 */
export async function makeBundle(statement: Buffer, signer: { key: TestKey; certificatePem?: string }): Promise<Record<string, unknown>> {
  const builder = new DSSEBundleBuilder({
    witnesses: [],
    signer: {
      sign: async (data: Buffer) => ({
        signature: signWith(signer.key, data),
        key: signer.certificatePem
          ? { $case: "x509Certificate", certificate: signer.certificatePem }
          : { $case: "publicKey", publicKey: signer.key.publicPem, hint: keyHint(signer.key) },
      }),
    },
  });
  const bundle = await builder.create({ data: statement, type: "application/vnd.in-toto+json" });
  return bundleToJSON(bundle);
}

/** The bundle's manifest (subject: the image) and blob pushed; returns the manifest's descriptor for a referrers index. */
export async function pushBundleManifest(
  t: RegistryTarget,
  repo: string,
  subject: { digest: string; mediaType: string; size: number },
  bundle: unknown,
): Promise<Record<string, unknown>> {
  const bytes = Buffer.from(JSON.stringify(bundle));
  const empty = Buffer.from("{}");
  const emptyDigest = await pushBlob(t, repo, empty);
  const bundleDigest = await pushBlob(t, repo, bytes);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_TYPE,
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: emptyDigest, size: empty.length },
      layers: [{ mediaType: BUNDLE_TYPE, digest: bundleDigest, size: bytes.length }],
      subject,
      annotations: { "dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": SIGN_PREDICATE },
    }),
  );
  const digest = await putManifest(t, repo, sha256(manifest), OCI_MANIFEST, manifest);
  return { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_TYPE };
}

/** The referrers tag schema: an image index of the referrers under the tag `sha256-<hex>`. Returns the index's digest. */
export async function pushReferrersTag(t: RegistryTarget, repo: string, digest: string, referrers: Record<string, unknown>[]): Promise<string> {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: referrers }));
  return putManifest(t, repo, digest.replace(":", "-"), OCI_INDEX, index);
}
