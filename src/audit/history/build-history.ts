import type { CommitObject } from "isomorphic-git";
import type { JournalEntry } from "../../state/index.js";
import { hostOutcomes, type CommitOutcomes, type HistoryEvent, type HostOutcomes } from "./host-outcomes.js";
import { diffManifests, loadManifestAt, type LoadedManifest, type ServiceChange } from "./manifest-diff.js";
import { signaturePresence, type SignatureStatus } from "./signature-status.js";
import { treeAt, walkCommits, type WalkedCommit } from "./walk-commits.js";

export interface Person {
  name: string;
  email: string;
  /** ISO time, UTC. */
  date: string;
}

export type CommitStatus =
  /** The host ran it healthy (it may have been replaced since: see `until`). */
  | "healthy"
  | "rolled-back"
  | "rejected"
  | "paused"
  /** The branch moved past it before this host applied it. */
  | "superseded"
  /** Older than this host's first sync. */
  | "before-host"
  /** Not applied (yet): no later commit was applied either. */
  | "pending";

/** A commit's details that only its Git objects hold. */
export type CommitDetail = "subject" | "author" | "committer" | "signature" | "changes";

/** Every detail: what a commit the local clone lacks is listed without. */
const GIT_DETAILS: readonly CommitDetail[] = ["subject", "author", "committer", "signature", "changes"];

export interface HistoryCommit {
  commit: string;
  /** Absent, like author, committer and signature, when the commit is not in the local clone (see `needsFetch`). */
  subject?: string;
  author?: Person;
  committer?: Person;
  signature?: SignatureStatus;
  /** What it changed in the host's stacks, compared with `baseline` (its parent unless that one is invalid). */
  changes: ServiceChange[];
  /** The commit the changes are relative to, when not the first parent; null when none could be read. */
  baseline?: string | null;
  /** The commit's manifest is invalid: the first problem. */
  invalid?: string;
  /** The details the local clone cannot give (it lacks the commit, or its parent): `gitdock history --fetch` reads them. */
  needsFetch?: CommitDetail[];
  status: CommitStatus;
  appliedAt?: string;
  events: HistoryEvent[];
  repairs?: number;
  until?: string;
  replacedBy?: string;
}

export interface HistoryReport {
  host: string;
  path: string;
  branch: string;
  head: string;
  /** True when the walk reached the root commit; false when it stopped at the edge of a shallow clone. */
  complete: boolean;
  /** Commits whose parents are not in the local clone. */
  boundary: string[];
  commits: HistoryCommit[];
}

export interface HistoryInput {
  gitdir: string;
  head: string;
  path: string;
  branch: string;
  host: string;
  journal: Iterable<JournalEntry>;
  since?: Date;
  stack?: string;
  service?: string;
  signature?: (oid: string, commit: CommitObject) => Promise<SignatureStatus>;
}

/**
 * `gitdock history`: the commits that touched the host's path and every commit its journal
 * records (newest first), what each changed in its stacks, and what this host did with each
 * according to its journal. Reads only the local clone and the state directory. The clone is
 * shallow with gaps (each poll fetches a new head at depth 1), so the journal's commits are walked
 * from as well as the head: this host's own deployments beyond a gap stay listed, and those the
 * clone lacks altogether are listed from the journal, with the details that need `--fetch`.
 */
export async function buildHistory(input: HistoryInput): Promise<HistoryReport> {
  const cache = {}; // isomorphic-git's parsed pack indexes, shared by every read below
  const since = input.since ? Math.floor(input.since.getTime() / 1000) : undefined;
  const outcomes = hostOutcomes(input.journal);
  const walk = await walkCommits(input.gitdir, [input.head, ...outcomes.byCommit.keys()], { cache, since });
  const reader = commitReader(input.gitdir, input.path, walk.loaded, cache);
  const span = journaledSpan(walk.commits, outcomes);
  const listed: Placed[] = [];
  for (const [i, c] of walk.commits.entries()) {
    const record = outcomes.byCommit.get(c.oid);
    if (!record && !(await reader.touchesPath(c))) continue;
    const entry = await describeCommit(input, c, reader);
    if (!keepForFilters(entry, input)) continue;
    Object.assign(entry, outcomeFields(record, record ? recordStatus(record) : unjournaledStatus(i, span, c.commit, outcomes.firstAt)));
    listed.push({ entry, ...(record ? { journaledAt: Date.parse(record.firstAt) } : {}) });
  }
  const missing = new Set(walk.missing);
  return {
    host: input.host,
    path: input.path,
    branch: input.branch,
    head: input.head,
    complete: missing.size === 0,
    boundary: walk.commits.filter((c) => c.commit.parent.some((p) => missing.has(p))).map((c) => c.oid),
    commits: newestFirst(listed, journalOnly(outcomes, walk.loaded, input)),
  };
}

/** A listed commit and, when this host journaled it, the time of its first journal entry (ms): the journal's own order. */
interface Placed {
  entry: HistoryCommit;
  journaledAt?: number;
}

/**
 * This host's journaled commits that the local clone lacks (a repack dropped them, or the clone
 * was made anew): the journal gives their outcomes; the rest needs `--fetch`. Placed by the time
 * the host first journaled them.
 */
function journalOnly(outcomes: HostOutcomes, loaded: Map<string, WalkedCommit>, input: HistoryInput): Placed[] {
  const since = input.since?.getTime();
  const out: Placed[] = [];
  for (const [oid, record] of outcomes.byCommit) {
    const journaledAt = Date.parse(record.firstAt);
    if (loaded.has(oid) || (since !== undefined && journaledAt < since)) continue;
    const entry: HistoryCommit = { commit: oid, changes: [], needsFetch: [...GIT_DETAILS], status: "pending", events: [] };
    out.push({ entry: Object.assign(entry, outcomeFields(record, recordStatus(record))), journaledAt });
  }
  return out.sort((a, b) => b.journaledAt! - a.journaledAt!);
}

/**
 * The walk's order, with the journal-only commits merged in by the journal's order: each goes
 * just above the newest walked commit this host journaled before it (commit times cannot place
 * it, as the clone lacks the commit).
 */
function newestFirst(walked: Placed[], journalOnlyCommits: Placed[]): HistoryCommit[] {
  const rest = [...journalOnlyCommits];
  const out: HistoryCommit[] = [];
  for (const w of walked) {
    while (rest[0] && w.journaledAt !== undefined && rest[0].journaledAt! > w.journaledAt) out.push(rest.shift()!.entry);
    out.push(w.entry);
  }
  return [...out, ...rest.map((r) => r.entry)];
}

/** --stack / --service keep a commit's matching changes; a commit whose changes need --fetch stays, as it cannot be ruled out. */
function keepForFilters(entry: HistoryCommit, input: HistoryInput): boolean {
  if (input.stack === undefined && input.service === undefined) return true;
  entry.changes = entry.changes.filter(
    (ch) => (input.stack === undefined || ch.stack === input.stack) && (input.service === undefined || ch.service === input.service),
  );
  return entry.changes.length > 0 || entry.needsFetch?.includes("changes") === true;
}

/** The local clone's commits as `history` reads them, each read once. */
interface CommitReader {
  loaded: Map<string, WalkedCommit>;
  manifestAt(oid: string): Promise<LoadedManifest>;
  touchesPath(c: WalkedCommit): Promise<boolean>;
}

function commitReader(gitdir: string, path: string, loaded: Map<string, WalkedCommit>, cache: object): CommitReader {
  const manifestAt = once((oid) => loadManifestAt(gitdir, oid, path, cache));
  const pathTree = once((oid) => treeAt(gitdir, loaded.get(oid)!.commit, path, cache));
  /** Like `git log -- <path>`: a commit touches the path when its tree there differs from every parent's. */
  const touchesPath = async (c: WalkedCommit): Promise<boolean> => {
    const mine = await pathTree(c.oid);
    if (!c.commit.parent.length) return mine !== undefined;
    for (const p of c.commit.parent) {
      if (!loaded.has(p)) return true; // beyond the shallow edge: cannot tell, so show it
      if ((await pathTree(p)) === mine) return false;
    }
    return true;
  };
  return { loaded, manifestAt, touchesPath };
}

function once<T>(read: (oid: string) => Promise<T>): (oid: string) => Promise<T> {
  const memo = new Map<string, Promise<T>>();
  return (oid) => {
    let m = memo.get(oid);
    if (!m) memo.set(oid, (m = read(oid)));
    return m;
  };
}

async function describeCommit(input: HistoryInput, c: WalkedCommit, reader: CommitReader): Promise<HistoryCommit> {
  const entry: HistoryCommit = {
    commit: c.oid,
    subject: c.commit.message.split("\n")[0] ?? "",
    author: person(c.commit.author),
    committer: person(c.commit.committer),
    signature: input.signature ? await input.signature(c.oid, c.commit) : signaturePresence(c.commit),
    changes: [],
    status: "pending",
    events: [],
  };
  const mine = await reader.manifestAt(c.oid);
  if (!mine.ok) {
    entry.invalid = mine.problem;
    return entry;
  }
  // Compare with the first parent, or the nearest first-parent ancestor whose manifest is valid.
  let base = c.commit.parent[0];
  let hops = 0;
  while (base !== undefined) {
    const parent = reader.loaded.get(base);
    if (!parent) break;
    const theirs = await reader.manifestAt(base);
    if (theirs.ok) {
      entry.changes = diffManifests(theirs.stacks, mine.stacks);
      if (hops > 0) entry.baseline = base;
      return entry;
    }
    if (++hops > 50) break;
    base = parent.commit.parent[0];
  }
  if (c.commit.parent.length === 0) {
    entry.changes = diffManifests([], mine.stacks);
    return entry;
  }
  entry.baseline = null; // the parent is beyond the shallow edge
  entry.needsFetch = ["changes"];
  return entry;
}

/** Positions in the walk (newest = 0) of the newest and the oldest commit this host journaled. */
interface JournaledSpan {
  newest?: number;
  oldest?: number;
}

function journaledSpan(commits: WalkedCommit[], outcomes: HostOutcomes): JournaledSpan {
  const seen = commits.flatMap((c, i) => (outcomes.byCommit.has(c.oid) ? [i] : []));
  return seen.length ? { newest: seen[0], oldest: seen.at(-1) } : {};
}

/** A journaled commit's status: its last verdict, or pending (a rollout in progress, or cut short). */
function recordStatus(record: CommitOutcomes): CommitStatus {
  return record.events.at(-1)?.kind ?? "pending";
}

/** A commit this host never journaled: skipped when a later one was applied, unless it predates the host altogether. */
function unjournaledStatus(position: number, span: JournaledSpan, commit: CommitObject, firstAt: string | undefined): CommitStatus {
  if (span.newest === undefined || position < span.newest) return "pending";
  const olderSeen = span.oldest !== undefined && span.oldest > position;
  const afterStart = firstAt !== undefined && commit.committer.timestamp * 1000 >= Date.parse(firstAt);
  return olderSeen || afterStart ? "superseded" : "before-host";
}

function outcomeFields(record: CommitOutcomes | undefined, s: CommitStatus): Partial<HistoryCommit> {
  if (!record) return { status: s, events: [] };
  return {
    status: s,
    ...(record.appliedAt ? { appliedAt: record.appliedAt } : {}),
    events: record.events,
    ...(record.repairs ? { repairs: record.repairs } : {}),
    ...(record.until ? { until: record.until, replacedBy: record.replacedBy } : {}),
  };
}

function person(p: { name: string; email: string; timestamp: number }): Person {
  return { name: p.name, email: p.email, date: new Date(p.timestamp * 1000).toISOString().replace(".000Z", "Z") };
}
