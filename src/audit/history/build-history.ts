import type { CommitObject } from "isomorphic-git";
import type { JournalEntry } from "../../state/index.js";
import { hostOutcomes, type CommitOutcomes, type HistoryEvent } from "./host-outcomes.js";
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

export interface HistoryCommit {
  commit: string;
  subject: string;
  author: Person;
  committer: Person;
  signature: SignatureStatus;
  /** What it changed in the host's stacks, compared with `baseline` (its parent unless that one is invalid). */
  changes: ServiceChange[];
  /** The commit the changes are relative to, when not the first parent; null when none could be read. */
  baseline?: string | null;
  /** The commit's manifest is invalid: the first problem. */
  invalid?: string;
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
 * `gitdock history`: the commits that touched the host's path (newest first), what each changed
 * in its stacks, and what this host did with each according to its journal. Reads only the local
 * clone and the state directory.
 */
export async function buildHistory(input: HistoryInput): Promise<HistoryReport> {
  const { gitdir, path } = input;
  const cache = {}; // isomorphic-git's parsed pack indexes, shared by every read below
  const since = input.since ? Math.floor(input.since.getTime() / 1000) : undefined;
  const walk = await walkCommits(gitdir, input.head, { cache, since });
  const outcomes = hostOutcomes(input.journal);
  const index = new Map(walk.commits.map((c, i) => [c.oid, i]));
  const byOid = walk.loaded;
  // Positions (newest = 0) of the commits this host has journal entries for.
  const seen = [...outcomes.byCommit.keys()].map((c) => index.get(c)).filter((i): i is number => i !== undefined);
  const newestSeen = seen.length ? Math.min(...seen) : undefined;
  const oldestSeen = seen.length ? Math.max(...seen) : undefined;

  const manifests = new Map<string, Promise<LoadedManifest>>();
  const manifestAt = (oid: string) => {
    let m = manifests.get(oid);
    if (!m) manifests.set(oid, (m = loadManifestAt(gitdir, oid, path, cache)));
    return m;
  };

  const trees = new Map<string, Promise<string | undefined>>();
  const pathTree = (c: WalkedCommit) => {
    let t = trees.get(c.oid);
    if (!t) trees.set(c.oid, (t = treeAt(gitdir, c.commit, path, cache)));
    return t;
  };

  const out: HistoryCommit[] = [];
  for (const [i, c] of walk.commits.entries()) {
    if (!(await touchesPath(c, byOid, pathTree))) continue;
    const entry = await describeCommit(input, c, byOid, manifestAt);
    if (input.stack !== undefined || input.service !== undefined) {
      entry.changes = entry.changes.filter(
        (ch) => (input.stack === undefined || ch.stack === input.stack) && (input.service === undefined || ch.service === input.service),
      );
      if (!entry.changes.length) continue;
    }
    const record = outcomes.byCommit.get(c.oid);
    Object.assign(entry, outcomeFields(record, status(record, i, newestSeen, oldestSeen, c.commit, outcomes.firstAt)));
    out.push(entry);
  }
  return {
    host: input.host,
    path,
    branch: input.branch,
    head: input.head,
    complete: walk.missing.length === 0,
    boundary: walk.commits.filter((c) => c.commit.parent.some((p) => walk.missing.includes(p))).map((c) => c.oid),
    commits: out,
  };
}

/** Like `git log -- <path>`: a commit touches the path when its tree there differs from every parent's. */
async function touchesPath(c: WalkedCommit, byOid: Map<string, WalkedCommit>, pathTree: (c: WalkedCommit) => Promise<string | undefined>): Promise<boolean> {
  const mine = await pathTree(c);
  if (!c.commit.parent.length) return mine !== undefined;
  for (const p of c.commit.parent) {
    const parent = byOid.get(p);
    if (!parent) return true; // beyond the shallow edge: cannot tell, so show it
    if ((await pathTree(parent)) === mine) return false;
  }
  return true;
}

async function describeCommit(
  input: HistoryInput,
  c: WalkedCommit,
  byOid: Map<string, WalkedCommit>,
  manifestAt: (oid: string) => Promise<LoadedManifest>,
): Promise<HistoryCommit> {
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
  const mine = await manifestAt(c.oid);
  if (!mine.ok) {
    entry.invalid = mine.problem;
    return entry;
  }
  // Compare with the first parent, or the nearest first-parent ancestor whose manifest is valid.
  let base = c.commit.parent[0];
  let hops = 0;
  while (base !== undefined) {
    const parent = byOid.get(base);
    if (!parent) break;
    const theirs = await manifestAt(base);
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
  return entry;
}

function status(
  record: CommitOutcomes | undefined,
  position: number,
  newestSeen: number | undefined,
  oldestSeen: number | undefined,
  commit: CommitObject,
  firstAt: string | undefined,
): CommitStatus {
  const last = record?.events.at(-1);
  if (last) return last.kind;
  if (record) return "pending"; // started but no verdict yet (a rollout in progress, or cut short)
  if (newestSeen === undefined || position < newestSeen) return "pending";
  // A later commit was applied. This one was skipped, unless it predates the host altogether.
  const olderSeen = oldestSeen !== undefined && oldestSeen > position;
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
