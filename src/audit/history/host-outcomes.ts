import type { JournalEntry } from "../../state/index.js";

/** One thing that happened to a commit on this host, as the journal recorded it. */
export interface HistoryEvent {
  kind: "healthy" | "rolled-back" | "rejected" | "paused";
  at: string;
  reason?: string;
  /** For rollbacks: from the failed gate to the previous version serving again. */
  durationMs?: number;
  /** The journal line's seq, to find it in journal.jsonl. */
  seq: number;
}

export interface CommitOutcomes {
  /** The time of the commit's first journal entry: where `history` places it when the clone lacks the commit. */
  firstAt: string;
  /** When the host started applying the commit (its first journal entry other than a rejection). */
  appliedAt?: string;
  events: HistoryEvent[];
  /** Drift repairs made while the host ran this commit. */
  repairs: number;
  /** When another commit replaced it after it had become healthy, and which one. */
  until?: string;
  replacedBy?: string;
}

export interface HostOutcomes {
  byCommit: Map<string, CommitOutcomes>;
  /** The time of the journal's first entry (when this host started): commits older than that predate it. */
  firstAt: string | undefined;
}

/**
 * Reads this host's outcomes per commit out of its journal (oldest first). The entries that carry
 * a verdict: `sync` → healthy, `rollback` → rolled-back (with reason and duration), `reject` →
 * rejected, `pause` → paused. Pure.
 */
export function hostOutcomes(entries: Iterable<JournalEntry>): HostOutcomes {
  const byCommit = new Map<string, CommitOutcomes>();
  let firstAt: string | undefined;
  let running: { commit: string; record: CommitOutcomes } | undefined;
  const of = (commit: string, at: string): CommitOutcomes => {
    let r = byCommit.get(commit);
    if (!r) byCommit.set(commit, (r = { firstAt: at, events: [], repairs: 0 }));
    return r;
  };
  for (const e of entries) {
    firstAt ??= e.time;
    if (!/^[0-9a-f]{40}$/.test(e.commit)) continue; // e.g. recovery of an unknown rollout
    const r = of(e.commit, e.time);
    if (e.action !== "reject" && r.appliedAt === undefined) r.appliedAt = e.time;
    const event = verdict(e);
    if (event) r.events.push(event);
    if (e.action === "sync" && e.outcome === "repaired") r.repairs++;
    if (event?.kind === "healthy") {
      if (running && running.commit !== e.commit) {
        running.record.until = e.time;
        running.record.replacedBy = e.commit;
      }
      if (running?.commit !== e.commit) {
        delete r.until;
        delete r.replacedBy;
      }
      running = { commit: e.commit, record: r };
    }
  }
  return { byCommit, firstAt };
}

function verdict(e: JournalEntry): HistoryEvent | undefined {
  const base = { at: e.time, seq: e.seq, ...(e.reason !== undefined ? { reason: e.reason } : {}) };
  if (e.action === "sync" && e.outcome === "healthy") return { kind: "healthy", at: e.time, seq: e.seq };
  if (e.action === "rollback" && e.outcome === "rolled-back") {
    return { kind: "rolled-back", ...base, ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}) };
  }
  if (e.action === "reject" && e.outcome === "rejected") return { kind: "rejected", ...base };
  if (e.action === "pause" && e.outcome === "paused") return { kind: "paused", ...base };
  return undefined;
}
