import { createHash, createHmac } from "node:crypto";
import type { ContainerSpec } from "../model.js";
import type { ObservedContainer, ResolvedService } from "./types.js";

/**
 * Whether a container matches its desired spec must not depend on a secret that can be lost. So
 * the spec hash (scheme 2) is a plain SHA-256 over the normalized spec, in which every value that
 * comes from a secret on the host — env_file values, secret files' contents — appears only as a
 * digest keyed with the host key (state/host-key). Labels are readable by anyone who can `docker
 * inspect`: they must not let anyone test guesses of those values, but everything else they hash
 * is in the container's own config already. A new host key therefore changes the hash of exactly
 * the containers that use env files or secrets, and the plan says why (`secret digest key changed`).
 *
 * Containers made before scheme 2 carry an HMAC of the whole spec (`legacySpecHashes`); they are
 * compared that way until they are next replaced.
 */
export const HASH_SCHEME = "2";

export interface SpecHashes {
  specHash: string;
  /** Short per-field hashes, so a plan can name the settings that changed. */
  fieldHashes: Record<string, string>;
}

/** Fields of the hashed view whose values are keyed digests of host secrets. */
export const SECRET_FIELDS: readonly string[] = ["environmentFromFiles", "secrets"];

/**
 * Scheme 2. `fromFiles`: the environment variables whose values came from env files on the host
 * (the manifest's own `environment` wins over them, as in Compose).
 */
export function specHashes(spec: ContainerSpec, key: Buffer, fromFiles: ReadonlySet<string>): SpecHashes {
  const view = hashView(spec, key, fromFiles);
  const fieldHashes: Record<string, string> = {};
  for (const field of Object.keys(view).sort()) fieldHashes[field] = sha256(canonicalJson(view[field] ?? null)).slice(0, 12);
  return { specHash: sha256(canonicalJson(view)), fieldHashes };
}

/** A short name for the host key, stamped on containers, so a changed key can be told from a changed spec. */
export function hostKeyId(key: Buffer): string {
  return hmac(key, "gitdock-key-id").slice(0, 12);
}

/** The scheme before 2: an HMAC of the whole spec under the host key. */
export function legacySpecHashes(spec: ContainerSpec, key: Buffer): SpecHashes {
  const fieldHashes: Record<string, string> = {};
  for (const field of Object.keys(spec).sort()) {
    const value = (spec as unknown as Record<string, unknown>)[field];
    fieldHashes[field] = hmac(key, canonicalJson(value ?? null)).slice(0, 12);
  }
  return { specHash: hmac(key, canonicalJson(spec)), fieldHashes };
}

function hashView(spec: ContainerSpec, key: Buffer, fromFiles: ReadonlySet<string>): Record<string, unknown> {
  const environment: Record<string, string> = {};
  const keyed: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.environment)) {
    if (fromFiles.has(name)) keyed[name] = hmac(key, `gitdock-env\0${value}`).slice(0, 32);
    else environment[name] = value;
  }
  return { ...(spec as unknown as Record<string, unknown>), environment, ...(Object.keys(keyed).length ? { environmentFromFiles: keyed } : {}) };
}

/** `a=1,b=2` — the label form of field hashes (labels are strings). */
export function encodeFieldHashes(hashes: Record<string, string>): string {
  return Object.keys(hashes)
    .sort()
    .map((k) => `${k}=${hashes[k]}`)
    .join(",");
}

export function decodeFieldHashes(label: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (label ?? "").split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** JSON with object keys sorted at every level and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

function hmac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The hash a container of `svc` should carry, in the scheme the container was made with. */
export function wantedHash(svc: ResolvedService, c: ObservedContainer): string | undefined {
  return c.hashScheme === HASH_SCHEME ? svc.specHash : svc.legacy?.specHash;
}
