import { fetchBlob, fetchManifest, fetchReferrers, type RegistrySession } from "../registry/index.js";
import {
  BUNDLE_ARTIFACT_TYPES,
  bundleLayer,
  bundleReferrers,
  classicSignatures,
  classicSignatureTag,
  MAX_SIGNATURE_BLOB_BYTES,
  referrersTag,
  type ClassicSignature,
} from "./oci-documents.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** A candidate and its content, or why its content could not be had. */
export type Found<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Cosign's classic layout: the `sha256-<hex>.sig` manifest of the image's repository, and each
 * signature's payload blob. Registry failures (unreachable, refused) throw RegistryLookupError: the
 * pass is retried, nothing is judged on half an answer.
 */
export async function findClassicSignatures(
  session: RegistrySession,
  repository: string,
  digest: string,
): Promise<Found<{ sig: ClassicSignature; payload: Buffer }>[]> {
  const manifest = await fetchManifest(session, repository, classicSignatureTag(digest), [OCI_MANIFEST, DOCKER_MANIFEST]);
  if (!manifest) return [];
  const parsed = parseJson(manifest.body);
  if (parsed === undefined) return [{ ok: false, problem: `the ${classicSignatureTag(digest)} manifest is not JSON` }];
  const { signatures, problems } = classicSignatures(parsed);
  const found: Found<{ sig: ClassicSignature; payload: Buffer }>[] = problems.map((problem) => ({ ok: false, problem }));
  for (const sig of signatures) {
    const payload = await smallBlob(session, repository, sig.payload.digest, sig.payload.size);
    found.push("problem" in payload ? { ok: false, problem: payload.problem } : { ok: true, value: { sig, payload: payload.bytes } });
  }
  return found;
}

/**
 * Sigstore bundles attached as OCI referrers of the image: listed by the registry's referrers API,
 * or (a registry without it answers 404) by the referrers tag `sha256-<hex>`; each listed manifest
 * must have the image as its subject, and its layer is the bundle's JSON.
 */
export async function findBundles(
  session: RegistrySession,
  repository: string,
  digest: string,
): Promise<{ via: "referrers API" | "referrers tag"; bundles: Found<unknown>[] }> {
  const api = await fetchReferrers(session, repository, digest, BUNDLE_ARTIFACT_TYPES[0] as string);
  const via = api.supported ? ("referrers API" as const) : ("referrers tag" as const);
  const index = api.supported ? api.index : (await fetchManifest(session, repository, referrersTag(digest), [OCI_INDEX]))?.body;
  if (!index) return { via, bundles: [] };
  const listed = parseJson(index);
  if (listed === undefined) return { via, bundles: [{ ok: false, problem: `the ${via} index is not JSON` }] };
  const bundles: Found<unknown>[] = [];
  for (const ref of bundleReferrers(listed)) {
    const manifest = await fetchManifest(session, repository, ref.digest, [OCI_MANIFEST]);
    const layer = manifest ? bundleLayer(parseJson(manifest.body), digest) : { problem: `the listed bundle manifest ${ref.digest} is not in the repository` };
    if ("problem" in layer) {
      bundles.push({ ok: false, problem: layer.problem });
      continue;
    }
    const blob = await smallBlob(session, repository, layer.digest, layer.size);
    const json = "bytes" in blob ? parseJson(blob.bytes) : undefined;
    bundles.push(
      "problem" in blob
        ? { ok: false, problem: blob.problem }
        : json === undefined
          ? { ok: false, problem: "a Sigstore bundle that is not JSON" }
          : { ok: true, value: json },
    );
  }
  return { via, bundles };
}

async function smallBlob(session: RegistrySession, repository: string, digest: string, size: number): Promise<{ bytes: Buffer } | { problem: string }> {
  if (size > MAX_SIGNATURE_BLOB_BYTES) return { problem: `a signature blob of ${size} bytes (at most ${MAX_SIGNATURE_BLOB_BYTES} are read)` };
  const bytes = await fetchBlob(session, repository, digest);
  return bytes ? { bytes } : { problem: `the signature blob ${digest} is not in the repository` };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
