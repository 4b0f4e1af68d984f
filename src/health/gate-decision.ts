/**
 * The health gate's rules, as a pure function over one observation at a time. No Docker, no
 * clock, no I/O: `health-gate.ts` samples the container and feeds each sample here, so every
 * rule is tested table-driven in test/unit/health-gate-decision.test.ts.
 *
 * A container passes when it is running (and has not exited or restarted since it was first seen),
 * its Docker healthcheck (if any) reports `healthy`, its gitdock probe (if any) answers, and all of
 * that still holds `monitorMs` after it first held. It fails as soon as one of those breaks, or
 * when `timeoutMs` passes before the checks first held. A failure names its check: `running` for an
 * exit, restart or removal (before or inside the window), `healthcheck`, `probe` and `timeout`
 * before the checks held, and `monitor` for a healthcheck or probe that went bad inside the window.
 *
 * The timeout bounds the wait for the checks to pass, not the monitor window: a container whose
 * checks passed at 119 s of a 120 s timeout is watched for its full window and can pass. The
 * window itself is bounded (`monitorMs`), so the gate as a whole always ends by
 * `timeoutMs + monitorMs`.
 *
 * A failure's `detail` is in gitdock's own words only (check, exit code, HTTP status, timeout): it
 * becomes the reason in state.json, the journal, git notes and deployment markers, which the pusher
 * can read. What the container printed (the healthcheck's output) and the Engine's `State.Error`
 * are untrusted: they travel beside it as `excerpt`, which only the local log shows, redacted.
 */
import type { UntrustedText } from "../untrusted/index.js";
import { formatMs } from "./short-text.js";

export type HealthState = "none" | "starting" | "healthy" | "unhealthy";

/**
 * Which check decided a failure. `aborted` is never decided here: it is the caller giving up.
 * `completion` is the gate of a container that runs to completion (completion-gate.ts): its exit code.
 */
export type GateCheck = "running" | "healthcheck" | "probe" | "monitor" | "timeout" | "aborted" | "completion";

export interface GateFailure {
  check: GateCheck;
  /**
   * One short line in gitdock's own words: the exit code, the healthcheck's state and exit code, the
   * probe's HTTP status or connection error, the timeout. Safe for every reason gitdock records.
   */
  detail: string;
  /**
   * What the container said about it (the healthcheck's output, the Engine's `State.Error`):
   * untrusted. Only the local log and `gitdock status` show it, redacted (src/untrusted); it is
   * never concatenated into `detail` or any message.
   */
  excerpt?: UntrustedText;
  /** For a container that exited: its exit code (143 and 137 are also what an Engine shutting down leaves). */
  exitCode?: number;
}

/** One run of the Docker healthcheck, the newest in `State.Health.Log`. */
export interface HealthCheckRun {
  /** The check's exit code; Docker reports -1 when it timed out or could not be run. */
  exitCode: number;
  /** What the check printed: untrusted. */
  output: UntrustedText | undefined;
}

export interface ProbeResult {
  ok: boolean;
  /** `http 200 on /healthz`, `http GET /healthz: ECONNREFUSED`, `tcp 10.0.0.2:5432: ECONNREFUSED`. */
  detail: string;
}

/** What one observation of the container saw. */
export interface GateSample {
  /** When the observation was made (ms, same clock as `GateRules.startedAt`). */
  at: number;
  /** Docker's `State.Status`: created, running, paused, restarting, removing, exited, dead. */
  status: string;
  running: boolean;
  restartCount: number;
  /** `State.StartedAt`; Docker reports `0001-01-01T00:00:00Z` for a container never started. */
  startedAt: string;
  exitCode: number;
  oomKilled?: boolean;
  /** `State.Error`, e.g. an OCI runtime error when the process could not be started: untrusted. */
  error?: UntrustedText;
  health: HealthState;
  /** The newest healthcheck log entry. */
  lastHealthCheck?: HealthCheckRun;
  /** The probe attempt made with this observation; absent when none was made (not running, no probe). */
  probe?: ProbeResult;
}

/** What the gate remembers between observations. Start from `initialGateProgress()`. */
export interface GateProgress {
  /** StartedAt and RestartCount when the container was first seen running: a change is a restart. */
  baseline: { startedAt: string; restartCount: number } | undefined;
  /** When every check first held; the monitor window runs from here. */
  passedAt: number | undefined;
  /** Last things seen, for the timeout message. */
  lastStatus: string | undefined;
  lastHealth: HealthState | undefined;
  lastHealthCheck: HealthCheckRun | undefined;
  lastProbe: ProbeResult | undefined;
  /** Consecutive failed probe attempts inside the monitor window. */
  probeFailStreak: number;
}

export interface GateRules {
  /** When the gate started (ms). */
  startedAt: number;
  timeoutMs: number;
  monitorMs: number;
  needsProbe: boolean;
}

export interface GateDecision {
  verdict: "pending" | "passed" | "failed";
  progress: GateProgress;
  failure?: GateFailure;
}

/**
 * Inside the monitor window a probe must fail this many times in a row to fail the gate. Before the
 * checks pass, a failing probe only means "not yet"; inside the window one dropped connection on a
 * busy host should not roll back a release that answered, so the probe gets the same tolerance a
 * Docker healthcheck gets from its `retries`. Exits, restarts and `unhealthy` fail at once.
 */
export const MONITOR_PROBE_FAILURES = 3;

export function initialGateProgress(): GateProgress {
  return {
    baseline: undefined,
    passedAt: undefined,
    lastStatus: undefined,
    lastHealth: undefined,
    lastHealthCheck: undefined,
    lastProbe: undefined,
    probeFailStreak: 0,
  };
}

export function decideGate(sample: GateSample, progress: GateProgress, rules: GateRules): GateDecision {
  const next = observe(sample, progress, rules);
  const inWindow = next.passedAt !== undefined;
  const fail = (check: GateCheck, detail: string, excerpt?: UntrustedText): GateDecision => ({
    verdict: "failed",
    progress: next,
    failure: withExcerpt(inWindow ? { check: "monitor", detail: `turned unhealthy during the monitor window: ${detail}` } : { check, detail }, excerpt),
  });

  // An exit or restart is a `running` failure wherever it happens, so a crash reads the same
  // whether it came before or after the checks first held (a container with no healthcheck and no
  // probe passes its checks as soon as it runs); the detail says when.
  const lifecycle = lifecycleFailure(sample, next, inWindow);
  if (lifecycle) {
    const detail = inWindow ? `${lifecycle} during the monitor window` : lifecycle;
    const exited = sample.status === "exited" || sample.status === "dead" ? { exitCode: sample.exitCode } : {};
    return { verdict: "failed", progress: next, failure: withExcerpt({ check: "running", detail, ...exited }, sample.error) };
  }
  if (sample.health === "unhealthy") {
    return fail("healthcheck", `unhealthy (${healthRunDetail(next.lastHealthCheck)})`, next.lastHealthCheck?.output);
  }
  if (inWindow && rules.needsProbe && next.probeFailStreak >= MONITOR_PROBE_FAILURES) {
    return fail("probe", `probe failed ${next.probeFailStreak} times in a row: ${next.lastProbe?.detail ?? "no result"}`);
  }

  const pending = pendingChecks(sample, next, rules);
  if (pending.length === 0 && next.passedAt === undefined) next.passedAt = sample.at;
  if (next.passedAt !== undefined) {
    // A probe that failed its last attempt (fewer than MONITOR_PROBE_FAILURES times) holds the
    // verdict until it answers again or fails for good.
    const windowDone = sample.at - next.passedAt >= rules.monitorMs && next.probeFailStreak === 0;
    return { verdict: windowDone ? "passed" : "pending", progress: next };
  }
  if (sample.at - rules.startedAt >= rules.timeoutMs) {
    const excerpt = sample.health === "starting" ? next.lastHealthCheck?.output : undefined;
    return fail("timeout", `not healthy after ${formatMs(rules.timeoutMs)}: ${pending.join("; ")}`, excerpt);
  }
  return { verdict: "pending", progress: next };
}

/** Fold the sample into the remembered state (a copy; the input is not changed). */
function observe(sample: GateSample, progress: GateProgress, rules: GateRules): GateProgress {
  const next: GateProgress = {
    ...progress,
    lastStatus: sample.status,
    lastHealth: sample.health,
    lastHealthCheck: sample.lastHealthCheck ?? progress.lastHealthCheck,
    lastProbe: sample.probe ?? progress.lastProbe,
  };
  if (next.baseline === undefined && isUp(sample)) {
    next.baseline = { startedAt: sample.startedAt, restartCount: sample.restartCount };
  }
  if (next.passedAt !== undefined && rules.needsProbe && sample.probe) {
    next.probeFailStreak = sample.probe.ok ? 0 : next.probeFailStreak + 1;
  }
  return next;
}

function isUp(sample: GateSample): boolean {
  return sample.status === "running" && sample.running;
}

/** Why the container's process is not (or no longer) the one that was started, if it is not. */
function lifecycleFailure(sample: GateSample, progress: GateProgress, inWindow: boolean): string | undefined {
  const { status } = sample;
  if (status === "exited" || status === "dead") return exitDetail(sample);
  if (status === "removing" || status === "removed") return "container removed";
  if (status === "restarting") return `restarted after ${exitDetail(sample)}`;
  const base = progress.baseline;
  if (base && (sample.restartCount > base.restartCount || (isUp(sample) && sample.startedAt !== base.startedAt))) {
    return "restarted";
  }
  // Before the checks pass, a container that is created but not yet running is only "not yet".
  if (inWindow && !isUp(sample)) return `status ${status}`;
  return undefined;
}

/** The Engine's own numbers and flags; its error text (untrusted) is only pointed at. */
function exitDetail(sample: GateSample): string {
  let s = `exited with code ${sample.exitCode}`;
  if (sample.oomKilled) s += " (out of memory)";
  if (sample.error) s += " (the Engine's error is in gitdock's local log)";
  return s;
}

/** `Docker healthcheck, exit code 1`: the exit code, never the output. */
function healthRunDetail(run: HealthCheckRun | undefined): string {
  if (!run) return "Docker healthcheck, no result recorded";
  const code = Number.isInteger(run.exitCode) ? run.exitCode : "unknown";
  const why = code === -1 ? ": the check timed out or could not be run" : "";
  return `Docker healthcheck, exit code ${code}${why}`;
}

function withExcerpt(failure: GateFailure, excerpt: UntrustedText | undefined): GateFailure {
  return excerpt ? { ...failure, excerpt } : failure;
}

/** The checks that do not hold yet, each with what was last seen (used for the timeout message). */
function pendingChecks(sample: GateSample, progress: GateProgress, rules: GateRules): string[] {
  const pending: string[] = [];
  if (!isUp(sample)) pending.push(`running: status ${sample.status}`);
  if (sample.health === "starting") {
    const last = progress.lastHealthCheck ? `last run: ${healthRunDetail(progress.lastHealthCheck)}` : "no result yet";
    pending.push(`healthcheck: starting (${last})`);
  }
  if (rules.needsProbe && !(isUp(sample) && sample.probe?.ok === true)) {
    pending.push(`probe: ${progress.lastProbe?.detail ?? "not attempted"}`);
  }
  return pending;
}
