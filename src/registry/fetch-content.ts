import { createHash } from "node:crypto";
import { RegistryLookupError } from "../errors.js";
import { describeAnswer } from "./registry-answer.js";
import type { HttpResponse } from "./registry-http.js";
import type { RegistrySession } from "./registry-session.js";

/**
 * Reading content by tag or digest: manifests (with the media types asked for), blobs and the
 * OCI referrers API (distribution spec 1.1). What comes back is checked against the digest it was
 * asked by, so a registry (or anything between) cannot hand over other bytes; a 404 is an answer
 * ("not there"), not an error.
 */

export interface FetchedManifest {
  /** The sha256 of the bytes served. */
  digest: string;
  /** The served Content-Type, without parameters. */
  mediaType: string;
  body: Buffer;
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const NO_REFERRERS_API = new Set([400, 404, 405, 501]);

/** `reference`: a tag or a `sha256:` digest. Undefined when the registry has no such manifest. */
export async function fetchManifest(
  session: RegistrySession,
  repository: string,
  reference: string,
  accept: readonly string[],
): Promise<FetchedManifest | undefined> {
  // Tags and digests need no escaping (`sha256:<hex>` stays as registries expect it); anything else is escaped.
  const ref = /^[A-Za-z0-9_.:-]+$/.test(reference) ? reference : encodeURIComponent(reference);
  const res = await session.request(`/v2/${repository}/manifests/${ref}`, { method: "GET", accept: accept.join(", "), scope: pullScope(repository) });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw refused(session, res, `${repository}:${reference}`);
  const digest = sha256(res.body);
  checkDigest(session, digest, SHA256_DIGEST.test(reference) ? reference : header(res, "docker-content-digest"), `${repository}:${reference}`);
  return { digest, mediaType: header(res, "content-type")?.split(";")[0]?.trim().toLowerCase() ?? "", body: res.body };
}

/** A blob by digest, following the registry's redirect to its storage; undefined on 404. */
export async function fetchBlob(session: RegistrySession, repository: string, digest: string): Promise<Buffer | undefined> {
  let res = await session.request(`/v2/${repository}/blobs/${digest}`, { method: "GET", accept: "*/*", scope: pullScope(repository) });
  const location = header(res, "location");
  if ([301, 302, 303, 307, 308].includes(res.status) && location) res = await session.followRedirect(location, "*/*");
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw refused(session, res, `${repository}@${digest}`);
  checkDigest(session, sha256(res.body), digest, `${repository}@${digest}`);
  return res.body;
}

/**
 * The referrers of `digest` (an OCI image index), filtered by `artifactType` where the registry
 * supports that; `supported: false` when the registry has no referrers API (it answers 404, as
 * the spec says such registries do; 400, 405 and 501 are taken the same way, as some registries
 * answer an unknown route so), and the caller reads the referrers tag instead.
 */
export async function fetchReferrers(
  session: RegistrySession,
  repository: string,
  digest: string,
  artifactType: string,
): Promise<{ supported: false } | { supported: true; index: Buffer }> {
  const path = `/v2/${repository}/referrers/${digest}?artifactType=${encodeURIComponent(artifactType)}`;
  const res = await session.request(path, { method: "GET", accept: "application/vnd.oci.image.index.v1+json", scope: pullScope(repository) });
  if (NO_REFERRERS_API.has(res.status)) return { supported: false };
  if (res.status !== 200) throw refused(session, res, `the referrers of ${repository}@${digest}`);
  return { supported: true, index: res.body };
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function checkDigest(session: RegistrySession, actual: string, expected: string | undefined, what: string): void {
  if (expected === undefined || !SHA256_DIGEST.test(expected) || expected === actual) return;
  throw new RegistryLookupError(`registry ${session.registry} served content for ${what} whose sha256 is ${actual}, not ${expected}`, {
    data: { registry: session.registry, expected, actual },
  });
}

function refused(session: RegistrySession, res: HttpResponse, what: string): RegistryLookupError {
  const { text, code } = describeAnswer(res);
  const advice = res.status === 401 || res.status === 403 ? " (not allowed; credentials come from Docker's config.json or the registry_auth: file)" : "";
  return new RegistryLookupError(`registry ${session.registry} answered ${text} for ${what}${advice}`, {
    data: { registry: session.registry, status: res.status, code },
  });
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
