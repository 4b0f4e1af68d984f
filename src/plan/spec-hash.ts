import { createHmac } from "node:crypto";
import type { ContainerSpec } from "../model.js";

/**
 * The spec hash is an HMAC keyed with a per-host secret (state/host-key), not a plain hash: labels
 * are readable by anyone who can `docker inspect`, and a plain hash of the environment would let
 * them test guesses of secret values offline.
 */
export interface SpecHashes {
  specHash: string;
  /** Short per-field hashes, so a plan can name the settings that changed. */
  fieldHashes: Record<string, string>;
}

export function hashContainerSpec(spec: ContainerSpec, key: Buffer): SpecHashes {
  const fieldHashes: Record<string, string> = {};
  for (const field of Object.keys(spec).sort()) {
    const value = (spec as unknown as Record<string, unknown>)[field];
    fieldHashes[field] = hmac(key, canonicalJson(value ?? null)).slice(0, 12);
  }
  return { specHash: hmac(key, canonicalJson(spec)), fieldHashes };
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
