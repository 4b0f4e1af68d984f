import { createHash } from "node:crypto";
import { RegistryLookupError } from "../errors.js";
import { describeAnswer } from "./registry-answer.js";
import type { HttpResponse } from "./registry-http.js";
import type { RegistrySession } from "./registry-session.js";

/**
 * What a tag may point at, most specific last. Asking for the index types first means a
 * multi-platform image answers with its index, whose digest names every platform at once (what
 * `docker pull` of the pinned reference then resolves per host).
 */
export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

const ACCEPT = MANIFEST_MEDIA_TYPES.join(", ");
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface TagDigest {
  digest: string;
  mediaType: string;
}

/** Which tag of which repository on which registry, for messages. */
export interface TagTarget {
  registry: string;
  repository: string;
  tag: string;
}

/**
 * The digest the registry serves for `repository:tag`: from `Docker-Content-Digest` on a HEAD
 * (which Docker Hub does not count against pull limits), else from the sha256 of the manifest a GET
 * returns (checked against the header when there is one).
 */
export async function resolveTagDigest(session: RegistrySession, repository: string, tag: string): Promise<TagDigest> {
  const target = { registry: session.registry, repository, tag };
  const path = `/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  const scope = `repository:${repository}:pull`;
  const head = await session.request(path, { method: "HEAD", accept: ACCEPT, scope });
  const fromHead = digestFromHead(head, target);
  if (fromHead) return fromHead;
  // No usable HEAD answer: a GET has the manifest to hash, or the registry's error code to report.
  const get = await session.request(path, { method: "GET", accept: ACCEPT, scope });
  if (get.status !== 200) throw lookupFailed(get, target);
  return digestFromManifest(get, target);
}

/** A HEAD's answer, when it is a 200 with a sha256 `Docker-Content-Digest`; undefined when a GET must tell. */
export function digestFromHead(res: HttpResponse, target: TagTarget): TagDigest | undefined {
  const claimed = header(res, "docker-content-digest");
  if (res.status !== 200 || claimed === undefined || !SHA256_DIGEST.test(claimed)) return undefined;
  return { digest: claimed, mediaType: servedType(res, target) };
}

/** A GET's manifest: its sha256, which must match the `Docker-Content-Digest` the registry claims, if it claims a sha256 one. */
export function digestFromManifest(res: HttpResponse, target: TagTarget): TagDigest {
  const mediaType = servedType(res, target);
  const digest = `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
  const claimed = header(res, "docker-content-digest");
  if (claimed !== undefined && claimed.startsWith("sha256:") && claimed !== digest) {
    throw new RegistryLookupError(
      `registry ${target.registry} served a manifest for ${target.repository}:${target.tag} whose content does not match its Docker-Content-Digest ${claimed}`,
      { data: { ...target, status: res.status } },
    );
  }
  return { digest, mediaType };
}

function servedType(res: HttpResponse, target: TagTarget): string {
  const type = header(res, "content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if ((MANIFEST_MEDIA_TYPES as readonly string[]).includes(type)) return type;
  throw new RegistryLookupError(
    `registry ${target.registry} serves ${target.repository}:${target.tag} as "${type || "no content type"}", not an image index or manifest gitdock can pin (${MANIFEST_MEDIA_TYPES.join(", ")})`,
    { data: { ...target, status: res.status, mediaType: type } },
  );
}

function lookupFailed(res: HttpResponse, target: TagTarget): RegistryLookupError {
  const { text, code } = describeAnswer(res);
  const advice =
    res.status === 404
      ? "no such tag or repository"
      : res.status === 401 || res.status === 403
        ? "not allowed; credentials come from Docker's config.json (docker login) or the registry_auth: file"
        : "the registry refused the request";
  return new RegistryLookupError(`registry ${target.registry} answered ${text} for ${target.repository}:${target.tag} (${advice})`, {
    data: { ...target, status: res.status, code },
  });
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
