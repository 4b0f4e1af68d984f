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

/**
 * The digest the registry serves for `repository:tag`: from `Docker-Content-Digest` on a HEAD
 * (which Docker Hub does not count against pull limits), else from the sha256 of the manifest a GET
 * returns (checked against the header when there is one).
 */
export async function resolveTagDigest(session: RegistrySession, repository: string, tag: string): Promise<TagDigest> {
  const path = `/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  const scope = `repository:${repository}:pull`;
  const head = await session.request(path, { method: "HEAD", accept: ACCEPT, scope });
  const headDigest = header(head, "docker-content-digest");
  if (head.status === 200 && headDigest !== undefined && SHA256_DIGEST.test(headDigest)) {
    return { digest: headDigest, mediaType: servedType(head, session, repository, tag) };
  }
  // No usable HEAD answer: a GET has the manifest to hash, or the registry's error code to report.
  const get = await session.request(path, { method: "GET", accept: ACCEPT, scope });
  if (get.status !== 200) throw lookupFailed(get, session, repository, tag);
  const mediaType = servedType(get, session, repository, tag);
  const digest = `sha256:${createHash("sha256").update(get.body).digest("hex")}`;
  const claimed = header(get, "docker-content-digest");
  if (claimed !== undefined && claimed.startsWith("sha256:") && claimed !== digest) {
    throw new RegistryLookupError(
      `registry ${session.registry} served a manifest for ${repository}:${tag} whose content does not match its Docker-Content-Digest ${claimed}`,
      { data: { registry: session.registry, repository, tag, status: get.status } },
    );
  }
  return { digest, mediaType };
}

function servedType(res: HttpResponse, session: RegistrySession, repository: string, tag: string): string {
  const type = header(res, "content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if ((MANIFEST_MEDIA_TYPES as readonly string[]).includes(type)) return type;
  throw new RegistryLookupError(
    `registry ${session.registry} serves ${repository}:${tag} as "${type || "no content type"}", not an image index or manifest gitdock can pin (${MANIFEST_MEDIA_TYPES.join(", ")})`,
    { data: { registry: session.registry, repository, tag, status: res.status, mediaType: type } },
  );
}

function lookupFailed(res: HttpResponse, session: RegistrySession, repository: string, tag: string): RegistryLookupError {
  const { text, code } = describeAnswer(res);
  const advice =
    res.status === 404
      ? "no such tag or repository"
      : res.status === 401 || res.status === 403
        ? "not allowed; credentials come from Docker's config.json (docker login) or the registry_auth: file"
        : "the registry refused the request";
  return new RegistryLookupError(`registry ${session.registry} answered ${text} for ${repository}:${tag} (${advice})`, {
    data: { registry: session.registry, repository, tag, status: res.status, code },
  });
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
