import type { CommitObject } from "isomorphic-git";
import { ManifestInvalidError, SourceConfigError } from "../../errors.js";
import { findFleetFile } from "../../fleet/find-fleet-file.js";
import type { Fleet } from "../../fleet/read-fleet-file.js";
import { verifyReports } from "../../fleet/verify-reports.js";
import type { HostReport } from "../../fleet/wave-rule.js";
import { openNoteReader } from "../notes-tree.js";
import { commitsNewestFirst } from "../history/walk-commits.js";
import { describeCommit } from "./describe-commit.js";
import { isoTime, type FleetHostStatus, type FleetStatus, type HostLine } from "./fleet-status-types.js";
import { newestVerified, outcomeLinesOf } from "./verified-lines.js";

export interface FleetStatusInput {
  gitdir: string;
  head: string;
  notesTip: string | undefined;
  branch: string;
  /** The manifest path: the fleet file is the nearest `fleet.yaml` from it up to the root. */
  path: string;
  notesRef: string;
  /** How many recent commits to show with their waves. */
  commits: number;
  now: number;
}

/** What a shown commit has, for `fleet report` to add to (it reads the same commits once). */
export interface ShownCommit {
  oid: string;
  commit: CommitObject;
  reports: HostReport[];
}

/**
 * `gitdock fleet status` from Git alone: the fleet file at the branch head; for the newest
 * `commits` commits every verified outcome line and the waves' progress (fleet/wave-rule.ts, with
 * the commit's committer time as its clock when nobody reported); then, for each host, the commit
 * it runs. The walk reads one commit's note at a time (openNoteReader) and stops once every host's
 * commit is known, verifying beyond the shown commits only each host's newest line.
 */
export async function buildFleetStatus(input: FleetStatusInput): Promise<{ status: FleetStatus; shown: ShownCommit[] }> {
  const cache = {};
  const fleet = await fleetAtHead(input, cache);
  const notesOf = input.notesTip ? await openNoteReader(input.gitdir, input.notesTip, cache) : async () => [];
  const tracker = new RunsTracker(fleet);
  const shown: ShownCommit[] = [];
  const commits: FleetStatus["commits"] = [];
  let read = 0;
  let historyEnd = true;
  for await (const c of commitsNewestFirst(input.gitdir, [input.head], { cache })) {
    if (shown.length >= input.commits && tracker.allKnown()) {
      historyEnd = false;
      break;
    }
    read++;
    const note = await notesOf(c.oid);
    if (shown.length < input.commits) {
      const { reports, ignored } = verifyReports(fleet, c.oid, outcomeLinesOf(note));
      shown.push({ ...c, reports });
      commits.push(describeCommit(fleet, c, reports, ignored, input.now));
      tracker.see(c, reports);
    } else {
      // Only the lines of hosts still unknown are parsed and checked: a note holds every host's.
      const wanted = tracker.unknown();
      const theirs = note.filter((l) => wanted.has(l.slice(0, l.indexOf(" "))));
      tracker.see(c, newestVerified(fleet, c.oid, outcomeLinesOf(theirs), wanted));
    }
  }
  const status: FleetStatus = {
    schema: "gitdock.fleet-status/v1",
    generatedAt: isoTime(input.now),
    branch: input.branch,
    head: input.head,
    fleetFile: fleet.file,
    notesRef: input.notesRef,
    notesTip: input.notesTip ?? null,
    waves: fleet.waves.map((w) => ({
      name: w.name,
      hosts: w.hosts,
      soakMs: w.soakMs,
      reportTimeoutMs: w.reportTimeoutMs,
      maxFailures: w.maxFailures,
      maxUnreachable: w.maxUnreachable,
      onFailure: w.onFailure,
    })),
    hosts: tracker.result(),
    commits,
    commitsRead: read,
    historyEnd,
  };
  return { status, shown };
}

async function fleetAtHead(input: FleetStatusInput, cache: object): Promise<Fleet> {
  const found = await findFleetFile(input.gitdir, input.head, input.path, cache);
  if (!found) {
    throw new SourceConfigError(`no fleet.yaml in ${input.path || "the repository root"} or above it at ${input.branch} (${input.head.slice(0, 12)})`, {
      hint: "Check --repo, --branch and --path: the fleet file sits at the root of the manifest path the hosts read.",
    });
  }
  if (!found.fleet) throw new ManifestInvalidError(found.problems);
  return found.fleet;
}

/**
 * What each host runs, from its lines newest commit first: a verified `applied` line says it runs
 * that commit; a newer rolled-back, withdrawn, rejected or paused line says it runs what it ran
 * before, so the walk goes on to older commits for that host.
 */
class RunsTracker {
  private readonly runs = new Map<string, NonNullable<FleetHostStatus["runs"]>>();
  private readonly latest = new Map<string, HostLine>();
  private readonly pending: Set<string>;

  constructor(private readonly fleet: Fleet) {
    this.pending = new Set(fleet.hosts.keys());
  }

  allKnown(): boolean {
    return this.pending.size === 0;
  }

  unknown(): ReadonlySet<string> {
    return this.pending;
  }

  see(c: { oid: string; commit: CommitObject }, reports: readonly HostReport[]): void {
    for (const host of [...this.pending]) {
      const newest = reports.filter((r) => r.host === host).reduce<HostReport | undefined>((a, r) => (!a || r.at >= a.at ? r : a), undefined);
      if (!newest) continue;
      if (newest.verb === "applied") {
        this.runs.set(host, { commit: c.oid, subject: subjectOf(c.commit), since: isoTime(newest.at) });
        this.pending.delete(host);
      } else if (!this.latest.has(host)) {
        this.latest.set(host, { commit: c.oid, verb: newest.verb, at: isoTime(newest.at), detail: newest.detail });
      }
    }
  }

  result(): FleetHostStatus[] {
    return [...this.fleet.hosts.keys()].map((host) => ({
      host,
      wave: this.fleet.waves.find((w) => w.hosts.includes(host))?.name ?? null,
      runs: this.runs.get(host) ?? null,
      latest: this.latest.get(host) ?? null,
    }));
  }
}

export function subjectOf(commit: CommitObject): string {
  return commit.message.split("\n")[0] ?? "";
}
