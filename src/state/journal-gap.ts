import { GENESIS, type JournalEntry, type JournalInput } from "./journal-entry.js";
import { MAX_CUT_LINES, type CutLine, type JournalTail } from "./journal-lines.js";

/**
 * The record of a gap in the journal. When a write fails (a full disk, an I/O error) or a crash
 * cuts one short, the journal is left with a torn line, or with entries that never reached it.
 * The next entry gitdock manages to write is preceded by a gap entry that says so, and that pins
 * down exactly what it covers, so the hash chain goes on verifiably and cannot be used to hide an
 * edit:
 *  - `after`: the seq and line hash of the last valid entry before the gap (lines removed or
 *    changed before it no longer match);
 *  - `cut`: the length and sha256 of every line between that entry and the gap entry, kept as they
 *    were found (a changed fragment no longer matches);
 *  - the gap entry's own `prev` chains to the last of those lines, and its seq follows `after`.
 * Verify accepts a gap entry only when all of that holds (verify-journal.ts).
 */

export const GAP_ACTION = "journal-gap";
const LOST_LISTED = 20;

/** An entry that was not written, in the words its caller gave (no reason, no data). */
export type LostEntry = Pick<JournalEntry, "time" | "commit" | "action" | "outcome"> & Partial<Pick<JournalEntry, "stack" | "service" | "container">>;

/** What this process knows about writes that failed since its last successful one. */
export interface WriteFailure {
  /** The error code of the first failure (ENOSPC, EIO, …). */
  error: string;
  /** When writes began to fail. */
  since: string;
  /** How many entries were not written. */
  count: number;
  /** The first of them (at most LOST_LISTED). */
  entries: LostEntry[];
}

export interface GapData {
  after: { seq: number; hash: string };
  cut: CutLine[];
  /** Absent when the gap was found in the file by a later process: what else was lost is not known. */
  lost?: WriteFailure;
}

/** Adds a failed write's entries to what is already known to be missing. */
export function noteFailure(known: WriteFailure | undefined, err: unknown, lost: readonly JournalInput[]): WriteFailure {
  const now = new Date().toISOString();
  const failure = known ?? { error: errorCode(err), since: now, count: 0, entries: [] };
  const listed = lost.slice(0, Math.max(0, LOST_LISTED - failure.entries.length)).map((e) => summarize(e, now));
  return { ...failure, count: failure.count + lost.length, entries: [...failure.entries, ...listed] };
}

/**
 * The gap entry to write before the next entries, if one is due: this process saw writes fail
 * since its last successful one, or the journal ends in a line cut short (no newline after it).
 * A journal ending in a whole line that is not an entry gets none: nothing says gitdock left it.
 */
export function gapToRecord(tail: JournalTail, failure: WriteFailure | undefined): JournalInput | undefined {
  const torn = tail.cut.length > 0 && tail.needsNewline;
  if (failure === undefined && !torn) return undefined;
  if (tail.cut.length > MAX_CUT_LINES) return undefined; // not a failed write's leftovers; verify reports the lines
  const after = tail.lastEntry ?? { seq: 0, hash: GENESIS };
  const data: GapData = { after, cut: tail.cut, ...(failure ? { lost: failure } : {}) };
  return { commit: "", action: GAP_ACTION, reason: describeGapData(data), outcome: "recorded", data: { ...data } };
}

/** The gap data of an entry, when it is a gap entry of the right shape. */
export function readGapData(e: JournalEntry): GapData | undefined {
  if (e.action !== GAP_ACTION) return undefined;
  const d = e.data as Partial<GapData> | undefined;
  const after = d?.after as Partial<GapData["after"]> | undefined;
  if (!after || !Number.isSafeInteger(after.seq) || typeof after.hash !== "string") return undefined;
  if (!Array.isArray(d?.cut) || !d.cut.every((c) => Number.isSafeInteger(c?.bytes) && typeof c?.sha256 === "string")) return undefined;
  return d as GapData;
}

/** In words, for the gap entry's reason. */
export function describeGapData(d: GapData): string {
  const cut = d.cut.length ? `; ${d.cut.length} line(s) cut short, kept as found` : "";
  return `the journal was interrupted before seq ${d.after.seq + 1}: ${describeLoss(d)}${cut}`;
}

/** What is known to be missing: what this process could not write, or that it is not known. */
export function describeLoss(d: GapData): string {
  if (!d.lost) return "a failed write or a crash; what else was not written is not known";
  const n = d.lost.count;
  return `journal writes failed (${d.lost.error}) from ${d.lost.since}: ${n} ${n === 1 ? "entry was" : "entries were"} not written`;
}

function summarize(e: JournalInput, now: string): LostEntry {
  const out: LostEntry = { time: e.time ?? now, commit: e.commit, action: e.action, outcome: e.outcome };
  for (const key of ["stack", "service", "container"] as const) if (e[key] !== undefined) out[key] = e[key];
  return out;
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{2,32}$/.test(code) ? code : "write error";
}
