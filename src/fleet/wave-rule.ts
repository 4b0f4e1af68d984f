import type { Fleet, Wave } from "./read-fleet-file.js";

/**
 * The wave rule, pure: given the fleet file, the verified outcome lines every host wrote on a
 * commit, and the time, may this host apply the commit? A host of wave N applies it once every host
 * of the earlier waves has reported it healthy for at least their wave's soak (a host that has not
 * reported within its wave's report_timeout counts against the wave's max_unreachable instead),
 * and it is held fleet-wide once more hosts of any wave report it failed than that wave's
 * max_failures allow. `gitdock fleet status` shows the same progress.
 */

/** One verified outcome line (fleet/verify-reports.ts): who, what, when (ms since the epoch). */
export interface HostReport {
  host: string;
  verb: "applied" | "rolled-back" | "rejected" | "paused" | "withdrawn";
  at: number;
  detail: string;
}

export type HostProgress =
  | { host: string; state: "healthy"; at: number; soakedAt: number }
  | { host: string; state: "failed"; at: number; detail: string }
  /** It ran the commit healthy and left it because a later wave failed it: not a failure of its own. */
  | { host: string; state: "withdrawn"; at: number }
  | { host: string; state: "waiting" }
  | { host: string; state: "unreachable"; since: number };

export interface WaveProgress {
  wave: Wave;
  /** When the wave's hosts could start (undefined while an earlier wave is not done). */
  openedAt: number | undefined;
  hosts: HostProgress[];
  /** When the next wave may start; undefined while this one is not done. */
  doneAt: number | undefined;
  /** Set when this wave's failures exceed its allowance: the commit is held fleet-wide. */
  failed: { host: string; detail: string } | undefined;
  /** Why the next wave cannot start yet (when not done and not failed), and when to look again. */
  waitingFor: { reason: string; recheckAt: number | undefined } | undefined;
}

export type WaveVerdict =
  /** The host is in no wave: it applies commits as soon as it sees them. */
  | { kind: "free" }
  | { kind: "apply"; wave: string }
  | { kind: "wait"; wave: string; reason: string; recheckAt: number | undefined }
  /** Held fleet-wide; `rollBack` when this host should leave the commit if it runs it (the failing wave's on_failure). */
  | { kind: "held"; wave: string; failedWave: string; host: string; reason: string; rollBack: boolean };

export interface WaveInput {
  fleet: Fleet;
  reports: readonly HostReport[];
  /** When this host first saw the commit at the branch head: the first wave's clock when nobody reported yet. */
  firstSeen: number;
  now: number;
}

export function judgeWave(input: WaveInput & { host: string }): WaveVerdict {
  const mine = input.fleet.waves.find((w) => w.hosts.includes(input.host));
  if (!mine) return { kind: "free" };
  const progress = waveProgress(input);
  const failing = progress.find((p) => p.failed);
  if (failing?.failed) {
    const rollBack = failing.wave.onFailure === "rollback" && mine.index <= failing.wave.index;
    const reason = heldReason(failing.wave.name, failing.failed);
    return { kind: "held", wave: mine.name, failedWave: failing.wave.name, host: failing.failed.host, reason, rollBack };
  }
  const blocking = progress.slice(0, mine.index).find((p) => p.doneAt === undefined);
  if (!blocking) return { kind: "apply", wave: mine.name };
  const reason = blocking.waitingFor?.reason ?? `waiting for wave ${blocking.wave.name}`;
  return { kind: "wait", wave: mine.name, reason, recheckAt: blocking.waitingFor?.recheckAt };
}

/** Why a commit is held fleet-wide, in the words status, logs and notes use. */
export function heldReason(wave: string, failed: { host: string; detail: string }): string {
  return `held fleet-wide: ${failed.host} (wave ${wave}) reported it failed: ${failed.detail}`;
}

/** Every wave's progress on the commit, in order; a wave opens when the one before it is done. */
export function waveProgress(input: WaveInput): WaveProgress[] {
  const latest = latestReports(input.reports);
  const opened = Math.min(input.firstSeen, ...[...latest.values()].map((r) => r.at));
  const out: WaveProgress[] = [];
  let openedAt: number | undefined = opened;
  for (const wave of input.fleet.waves) {
    const p = progressOf(wave, openedAt, latest, input.now);
    out.push(p);
    openedAt = p.doneAt;
  }
  return out;
}

/** Each host's last line on the commit (a host that rolled back after reporting healthy is failed). */
function latestReports(reports: readonly HostReport[]): Map<string, HostReport> {
  const latest = new Map<string, HostReport>();
  for (const r of reports) {
    const had = latest.get(r.host);
    if (!had || r.at >= had.at) latest.set(r.host, r);
  }
  return latest;
}

function progressOf(wave: Wave, openedAt: number | undefined, latest: Map<string, HostReport>, now: number): WaveProgress {
  const hosts = wave.hosts.map((h) => hostProgress(h, wave, openedAt, latest.get(h), now));
  const failures = hosts.filter((h) => h.state === "failed");
  const firstFailure = failures[0];
  const failed = failures.length > wave.maxFailures && firstFailure ? { host: firstFailure.host, detail: firstFailure.detail } : undefined;
  if (failed || openedAt === undefined) return { wave, openedAt, hosts, doneAt: undefined, failed, waitingFor: undefined };
  const waitingFor = whyNotDone(wave, hosts, openedAt, now);
  return { wave, openedAt, hosts, doneAt: waitingFor ? undefined : doneTime(hosts, openedAt), failed, waitingFor };
}

function hostProgress(host: string, wave: Wave, openedAt: number | undefined, report: HostReport | undefined, now: number): HostProgress {
  if (report?.verb === "applied") return { host, state: "healthy", at: report.at, soakedAt: report.at + wave.soakMs };
  if (report?.verb === "withdrawn") return { host, state: "withdrawn", at: report.at };
  if (report && (report.verb === "rolled-back" || report.verb === "rejected")) return { host, state: "failed", at: report.at, detail: report.detail };
  const deadline = openedAt === undefined ? undefined : openedAt + wave.reportTimeoutMs;
  return deadline !== undefined && now >= deadline ? { host, state: "unreachable", since: deadline } : { host, state: "waiting" };
}

function whyNotDone(wave: Wave, hosts: HostProgress[], openedAt: number, now: number): WaveProgress["waitingFor"] {
  const unreachable = hosts.filter((h) => h.state === "unreachable");
  if (unreachable.length > wave.maxUnreachable) {
    const names = unreachable.map((h) => h.host).join(", ");
    return {
      reason: `wave ${wave.name}: no report from ${names} within ${wave.reportTimeoutMs / 1000}s (${wave.maxUnreachable} may be unreachable)`,
      recheckAt: undefined,
    };
  }
  const waiting = hosts.filter((h) => h.state === "waiting");
  if (waiting.length) {
    return { reason: `wave ${wave.name}: waiting for ${waiting.map((h) => h.host).join(", ")} to report`, recheckAt: openedAt + wave.reportTimeoutMs };
  }
  const soaking = hosts.filter((h): h is Extract<HostProgress, { state: "healthy" }> => h.state === "healthy" && h.soakedAt > now);
  if (!soaking.length) return undefined;
  const until = Math.max(...soaking.map((h) => h.soakedAt));
  return { reason: `wave ${wave.name}: soaking until ${new Date(until).toISOString()} (${soaking.map((h) => h.host).join(", ")})`, recheckAt: until };
}

function doneTime(hosts: HostProgress[], openedAt: number): number {
  const times = hosts.map((h) =>
    h.state === "healthy" ? h.soakedAt : h.state === "failed" || h.state === "withdrawn" ? h.at : h.state === "unreachable" ? h.since : openedAt,
  );
  return Math.max(openedAt, ...times);
}
