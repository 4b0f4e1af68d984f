import { createHash } from "node:crypto";

/**
 * One journal line: what gitdock did on this host, with the hash of the line before it.
 *
 * The journal stores exactly what callers pass. Callers must never put environment values,
 * secrets, credentials or anything read from env_files into any field (`data` included):
 * the journal is kept for years, copied to auditors and summarized into Git notes.
 */
export interface JournalEntry {
  seq: number;
  time: string;
  commit: string;
  stack?: string;
  service?: string;
  container?: string;
  /** e.g. "create", "replace", "remove", "start", "stop", "rename", "rollback", "sync", "reject", "health". */
  action: string;
  reason?: string;
  /** e.g. "ok", "failed", "started", "healthy", "rolled-back", "rejected", "superseded". */
  outcome: string;
  durationMs?: number;
  data?: Record<string, unknown>;
  /** sha256 hex of the previous line's exact bytes (without its newline); GENESIS for the first line. */
  prev: string;
}

/** What a caller passes to append: the journal fills in seq, prev and (unless given) time. */
export type JournalInput = Omit<JournalEntry, "seq" | "prev" | "time"> & { time?: string };

export const GENESIS = "0".repeat(64);

export function lineHash(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The line for an entry, keys in a fixed order, absent optional fields left out. No newline. */
export function formatEntry(e: JournalEntry): string {
  const ordered: Record<string, unknown> = { seq: e.seq, time: e.time, commit: e.commit };
  for (const key of ["stack", "service", "container"] as const) if (e[key] !== undefined) ordered[key] = e[key];
  ordered.action = e.action;
  if (e.reason !== undefined) ordered.reason = e.reason;
  ordered.outcome = e.outcome;
  if (e.durationMs !== undefined) ordered.durationMs = e.durationMs;
  if (e.data !== undefined) ordered.data = e.data;
  ordered.prev = e.prev;
  return JSON.stringify(ordered);
}

const OPTIONAL_STRINGS = ["stack", "service", "container", "reason"] as const;

/** Why a line is not a journal entry, or undefined when it is one. */
export function entryProblem(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "not a JSON object";
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return "seq is not a positive integer";
  for (const key of ["time", "commit", "action", "outcome"] as const) {
    if (typeof o[key] !== "string") return `${key} is not a string`;
  }
  for (const key of OPTIONAL_STRINGS) {
    if (o[key] !== undefined && typeof o[key] !== "string") return `${key} is not a string`;
  }
  if (o.durationMs !== undefined && typeof o.durationMs !== "number") return "durationMs is not a number";
  if (o.data !== undefined && (typeof o.data !== "object" || o.data === null || Array.isArray(o.data))) {
    return "data is not an object";
  }
  if (typeof o.prev !== "string" || !/^[0-9a-f]{64}$/.test(o.prev)) return "prev is not a sha256 hex digest";
  return undefined;
}

/** Parses one line; the reason when it is not a journal entry. */
export function parseEntry(bytes: Buffer): { entry: JournalEntry } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  const problem = entryProblem(v);
  return problem === undefined ? { entry: v as JournalEntry } : { problem };
}
