import type { UniqueKind } from "./merge-rules.js";

/**
 * The key that makes a list entry unique when files merge (the Compose Specification, "Merge",
 * "Unique resources"): a later entry with the same key replaces the earlier one where it stood.
 * An entry whose key cannot be read (a value of the wrong type) never replaces anything; the
 * schema reports it.
 */
export function uniqueKeyOf(kind: UniqueKind, entry: unknown): string | undefined {
  switch (kind) {
    case "volume":
      return volumeTarget(entry);
    case "port":
      return portKey(entry);
    case "secret":
      return mountTarget(entry, "/run/secrets/");
    case "config":
      return mountTarget(entry, "/");
    case "expose":
    case "name":
      return typeof entry === "string" || typeof entry === "number" ? String(entry) : undefined;
  }
}

/** `source:target[:mode]`, a bare `target`, or `{target: ...}`. */
function volumeTarget(entry: unknown): string | undefined {
  if (typeof entry === "string") {
    const parts = entry.split(":");
    return parts.length >= 2 ? parts[1] : parts[0];
  }
  const target = record(entry)?.["target"];
  return typeof target === "string" ? target : undefined;
}

/** A short port is its own key (as in compose-go); a long one is ip:published:target/protocol. */
function portKey(entry: unknown): string | undefined {
  if (typeof entry === "string" || typeof entry === "number") return String(entry);
  const p = record(entry);
  if (p === undefined || p["target"] === undefined) return undefined;
  return `${String(p["host_ip"] ?? "")}:${String(p["published"] ?? "")}:${String(p["target"])}/${String(p["protocol"] ?? "tcp")}`;
}

/** Secrets and configs by where they are mounted: `target`, else the source under the default directory. */
function mountTarget(entry: unknown, dir: string): string | undefined {
  if (typeof entry === "string") return `${dir}${entry}`;
  const m = record(entry);
  const target = m?.["target"];
  if (typeof target === "string") return target.startsWith("/") ? target : `${dir}${target}`;
  const source = m?.["source"];
  return typeof source === "string" ? `${dir}${source}` : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
