import type { IgnoredLine } from "../../fleet/verify-reports.js";
import type { HostReport } from "../../fleet/wave-rule.js";

/**
 * `gitdock fleet status --json`: a stable shape (`schema` names its version; fields are only
 * added). Times are ISO 8601 UTC strings; a value that does not apply is null, never absent.
 * docs/audit.md documents every field.
 */
export interface FleetStatus {
  schema: "gitdock.fleet-status/v1";
  generatedAt: string;
  branch: string;
  /** The branch head the fleet file was read at. */
  head: string;
  /** Repository-relative path of the fleet file (found from --path up to the root). */
  fleetFile: string;
  notesRef: string;
  /** The notes commit read; null when nobody has reported yet. */
  notesTip: string | null;
  waves: { name: string; hosts: string[]; soakMs: number; reportTimeoutMs: number; maxFailures: number; maxUnreachable: number; onFailure: string }[];
  hosts: FleetHostStatus[];
  /** The most recent commits, newest first (--commits). */
  commits: FleetCommitStatus[];
  /** Commits read to answer, and whether the walk reached the end of the history that is here. */
  commitsRead: number;
  historyEnd: boolean;
}

export interface HostLine {
  commit: string;
  verb: HostReport["verb"];
  at: string;
  detail: string;
}

export interface FleetHostStatus {
  host: string;
  /** Its wave; null for a host no wave names (it applies commits at once). */
  wave: string | null;
  /** The commit it runs: its newest verified `applied` line, newest commit first; null when none was found in the commits read. */
  runs: { commit: string; subject: string; since: string } | null;
  /** Its newest verified line on a newer commit than `runs`, when there is one: it went back from that commit (rolled-back, withdrawn) or refused it (rejected, paused). */
  latest: HostLine | null;
}

export type HostWaveState =
  | { host: string; state: "healthy"; at: string; soakedAt: string; why: string }
  | { host: string; state: "failed"; at: string; why: string }
  | { host: string; state: "withdrawn"; at: string; why: string }
  | { host: string; state: "waiting"; why: string }
  | { host: string; state: "unreachable"; since: string; why: string };

export interface FleetWaveStatus {
  name: string;
  opened: string | null;
  done: string | null;
  /** The latest end of a soak still running; null when none is. */
  soakingUntil: string | null;
  /** Why the next wave cannot start yet; null when done or failed. */
  waitingFor: string | null;
  failed: { host: string; detail: string } | null;
  hosts: HostWaveState[];
}

export interface IgnoredOutcome {
  host: string;
  why: IgnoredLine["why"];
  reason: string;
}

export interface FleetCommitStatus {
  commit: string;
  subject: string;
  committedAt: string;
  /** Set when a wave's failures exceed its allowance: no later wave applies the commit. */
  held: { wave: string; host: string; detail: string; reason: string } | null;
  waves: FleetWaveStatus[];
  /** Lines on this commit that did not count (no signature, a bad one, another key, an unknown host). */
  ignored: IgnoredOutcome[];
}

/** ms since the epoch → `2026-11-27T10:00:00Z` (milliseconds only when there are some). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
