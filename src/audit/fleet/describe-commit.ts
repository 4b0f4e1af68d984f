import type { CommitObject } from "isomorphic-git";
import type { Fleet } from "../../fleet/read-fleet-file.js";
import { IGNORED_WHY, type IgnoredLine } from "../../fleet/verify-reports.js";
import { heldReason, waveProgress, type HostProgress, type HostReport, type WaveProgress } from "../../fleet/wave-rule.js";
import { isoTime, type FleetCommitStatus, type FleetWaveStatus, type HostWaveState } from "./fleet-status-types.js";

/**
 * One commit's waves as the agents judge them (fleet/wave-rule.ts `waveProgress`), from its
 * verified lines. The wave clock, which an agent starts when it first sees the commit at the
 * branch head, is the commit's committer time here: status runs anywhere, without an agent's memory.
 */
export function describeCommit(
  fleet: Fleet,
  c: { oid: string; commit: CommitObject },
  reports: readonly HostReport[],
  ignored: readonly IgnoredLine[],
  now: number,
): FleetCommitStatus {
  const progress = waveProgress({ fleet, reports, firstSeen: c.commit.committer.timestamp * 1000, now });
  const failing = progress.find((p) => p.failed);
  const held = failing !== undefined;
  return {
    commit: c.oid,
    subject: c.commit.message.split("\n")[0] ?? "",
    committedAt: isoTime(c.commit.committer.timestamp * 1000),
    held: failing?.failed
      ? {
          wave: failing.wave.name,
          host: failing.failed.host,
          detail: failing.failed.detail,
          reason: heldReason(failing.wave.name, failing.failed),
        }
      : null,
    waves: progress.map((p) => waveStatus(p, held, now)),
    ignored: ignored.map((i) => ({ host: i.host, why: i.why, reason: IGNORED_WHY[i.why] })),
  };
}

function waveStatus(p: WaveProgress, held: boolean, now: number): FleetWaveStatus {
  const soaking = p.hosts.flatMap((h) => (h.state === "healthy" && h.soakedAt > now ? [h.soakedAt] : []));
  return {
    name: p.wave.name,
    opened: p.openedAt === undefined ? null : isoTime(p.openedAt),
    done: p.doneAt === undefined ? null : isoTime(p.doneAt),
    soakingUntil: soaking.length ? isoTime(Math.max(...soaking)) : null,
    waitingFor: p.waitingFor?.reason ?? null,
    failed: p.failed ?? null,
    hosts: p.hosts.map((h) => hostState(h, p, held, now)),
  };
}

function hostState(h: HostProgress, p: WaveProgress, held: boolean, now: number): HostWaveState {
  switch (h.state) {
    case "healthy": {
      const soaked = h.soakedAt > now ? `soaking until ${isoTime(h.soakedAt)}` : "soaked";
      return { host: h.host, state: "healthy", at: isoTime(h.at), soakedAt: isoTime(h.soakedAt), why: `reported healthy; ${soaked}` };
    }
    case "failed":
      return { host: h.host, state: "failed", at: isoTime(h.at), why: h.detail };
    case "withdrawn":
      return { host: h.host, state: "withdrawn", at: isoTime(h.at), why: "a later wave failed it and this host went back to its previous commit" };
    case "unreachable":
      return {
        host: h.host,
        state: "unreachable",
        since: isoTime(h.since),
        why: `no report within ${p.wave.reportTimeoutMs / 1000}s of the wave opening (report_timeout)`,
      };
    case "waiting":
      return { host: h.host, state: "waiting", why: waitingWhy(p, held, now) };
  }
}

function waitingWhy(p: WaveProgress, held: boolean, now: number): string {
  if (held) return "held fleet-wide: it does not apply this commit";
  if (p.openedAt === undefined) return "its wave has not opened yet";
  const deadline = p.openedAt + p.wave.reportTimeoutMs;
  return deadline > now ? `no report yet; counts as unreachable from ${isoTime(deadline)}` : "no report yet";
}
