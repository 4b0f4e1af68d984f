import type { CommitObject } from "isomorphic-git";
import type { HostReport } from "../../fleet/wave-rule.js";
import type { Person } from "../history/build-history.js";
import { diffManifests, loadManifestAt, type LoadedManifest, type ServiceChange } from "../history/manifest-diff.js";
import { signaturePresence, type SignatureStatus } from "../history/signature-status.js";
import { buildFleetStatus, type FleetStatusInput } from "./build-fleet-status.js";
import { isoTime, type FleetCommitStatus, type FleetStatus, type HostLine } from "./fleet-status-types.js";

export interface ReportCommit {
  status: FleetCommitStatus;
  author: Person;
  committer: Person;
  /** As `gitdock history` reads it: verified against the trust anchors of --config's security.verify, else present or not. */
  signature: SignatureStatus;
  /** What it changed in the stacks of the manifest path; null when its parent is not here (a shallow fetch's edge). */
  changes: ServiceChange[] | null;
  /** Its manifest is invalid: the first problem. */
  invalid: string | null;
  /** Every verified line of each host on this commit, oldest first: the timeline's cells. */
  outcomes: Map<string, HostLine[]>;
}

export interface FleetReport {
  status: FleetStatus;
  /** Newest first, as status lists them. */
  commits: ReportCommit[];
  /** Lines that took a host off a commit (rolled-back, withdrawn), newest first, with their reasons. */
  rollbacks: (HostLine & { host: string })[];
}

/**
 * `gitdock fleet report`: the fleet status of the recent commits, and for each who authored and who
 * signed it (history's signature status), what it changed in the stacks (history's manifest diff)
 * and every host's verified outcome lines on it.
 */
export async function buildFleetReport(
  input: FleetStatusInput & { signature?: (oid: string, commit: CommitObject) => Promise<SignatureStatus> },
): Promise<FleetReport> {
  const { status, shown } = await buildFleetStatus(input);
  const cache = {};
  const manifestAt = (oid: string): Promise<LoadedManifest> => loadManifestAt(input.gitdir, oid, input.path, cache);
  const commits: ReportCommit[] = [];
  for (const [i, c] of shown.entries()) {
    const mine = await manifestAt(c.oid);
    const parent = c.commit.parent[0];
    const theirs: LoadedManifest | undefined = parent === undefined ? { ok: true, stacks: [] } : await manifestAt(parent).catch(() => undefined);
    commits.push({
      status: status.commits[i]!,
      author: person(c.commit.author),
      committer: person(c.commit.committer),
      signature: input.signature ? await input.signature(c.oid, c.commit) : signaturePresence(c.commit),
      changes: mine.ok && theirs?.ok ? diffManifests(theirs.stacks, mine.stacks) : null,
      invalid: mine.ok ? null : mine.problem,
      outcomes: outcomesByHost(c.oid, c.reports),
    });
  }
  const rollbacks = commits
    .flatMap((c) => [...c.outcomes].flatMap(([host, lines]) => lines.map((l) => ({ ...l, host }))))
    .filter((l) => l.verb === "rolled-back" || l.verb === "withdrawn")
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return { status, commits, rollbacks };
}

function outcomesByHost(commit: string, reports: readonly HostReport[]): Map<string, HostLine[]> {
  const out = new Map<string, HostLine[]>();
  for (const r of [...reports].sort((a, b) => a.at - b.at)) {
    out.set(r.host, [...(out.get(r.host) ?? []), { commit, verb: r.verb, at: isoTime(r.at), detail: r.detail }]);
  }
  return out;
}

function person(p: { name: string; email: string; timestamp: number }): Person {
  return { name: p.name, email: p.email, date: isoTime(p.timestamp * 1000) };
}
