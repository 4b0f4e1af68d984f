import { describe, expect, it } from "vitest";
import { decideGate, initialGateProgress, MONITOR_PROBE_FAILURES, type GateDecision, type GateRules, type GateSample } from "../../src/health/gate-decision.js";
import { NOTHING_TO_REDACT, UntrustedText } from "../../src/untrusted/index.js";

const STARTED = "2026-01-01T00:00:00.000000001Z";
const NEVER = "0001-01-01T00:00:00Z";

/** A running container with no healthcheck, seen at `at` ms. */
function up(at: number, over: Partial<GateSample> = {}): GateSample {
  return { at, status: "running", running: true, restartCount: 0, startedAt: STARTED, exitCode: 0, health: "none", ...over };
}
function exited(at: number, exitCode: number, over: Partial<GateSample> = {}): GateSample {
  return { ...up(at), status: "exited", running: false, exitCode, ...over };
}
/** A Docker healthcheck run that printed `output`. */
function hc(exitCode: number, output: string): GateSample["lastHealthCheck"] {
  return { exitCode, output: new UntrustedText(output) };
}
const ok = { ok: true, detail: "http 200 on /healthz" };
const bad500 = { ok: false, detail: "http 500 on /healthz (expected 200)" };

function rules(over: Partial<GateRules> = {}): GateRules {
  return { startedAt: 0, timeoutMs: 120_000, monitorMs: 10_000, needsProbe: false, ...over };
}

/** Feeds the samples in order; returns every decision (stopping at the first non-pending one). */
function run(samples: GateSample[], r: GateRules): GateDecision[] {
  let progress = initialGateProgress();
  const out: GateDecision[] = [];
  for (const s of samples) {
    const d = decideGate(s, progress, r);
    out.push(d);
    progress = d.progress;
    if (d.verdict !== "pending") break;
  }
  return out;
}
const last = (ds: GateDecision[]) => ds[ds.length - 1]!;

interface Case {
  name: string;
  rules?: Partial<GateRules>;
  samples: GateSample[];
  verdict: "pending" | "passed" | "failed";
  check?: string;
  detail?: RegExp;
  /**
   * What the container said, as the failure's excerpt shows it (nothing to redact here). It must be
   * in the excerpt and nowhere in the detail; without it, the failure has no excerpt at all.
   */
  excerpt?: string;
  /** Index of the sample that decided (default: the last one). */
  decidedAt?: number;
}

const cases: Case[] = [
  {
    name: "crash before running → failed/running with the exit code",
    samples: [exited(100, 3)],
    verdict: "failed",
    check: "running",
    detail: /^exited with code 3$/,
  },
  {
    name: "crash after running → failed/running with the exit code",
    samples: [up(0, { health: "starting" }), exited(250, 1)],
    verdict: "failed",
    check: "running",
    detail: /^exited with code 1$/,
  },
  {
    // The Engine's error text is untrusted (the container shapes it): the detail only points at it.
    name: "out of memory is named; the runtime error goes to the excerpt, not the detail",
    samples: [exited(0, 137, { oomKilled: true, error: new UntrustedText("OCI runtime create failed:\n  exec: nope") })],
    verdict: "failed",
    check: "running",
    detail: /^exited with code 137 \(out of memory\) \(the Engine's error is in gitdock's local log\)$/,
    excerpt: "OCI runtime create failed: exec: nope",
  },
  {
    name: "dead counts as exited",
    samples: [up(0, { health: "starting" }), { ...exited(250, 255), status: "dead" }],
    verdict: "failed",
    check: "running",
    detail: /exited with code 255/,
  },
  {
    name: "restart during the watch (RestartCount grows) → failed",
    samples: [up(0, { health: "starting", restartCount: 2 }), up(250, { restartCount: 3, startedAt: "2026-01-01T00:00:01Z" })],
    verdict: "failed",
    check: "running",
    detail: /^restarted$/,
  },
  {
    name: "restart during the watch (StartedAt changes, count unchanged) → failed",
    samples: [up(0, { health: "starting" }), up(250, { startedAt: "2026-01-01T00:00:05Z" })],
    verdict: "failed",
    check: "running",
    detail: /^restarted$/,
  },
  {
    name: "restarting status → failed with the exit code",
    samples: [up(0, { health: "starting" }), { ...exited(250, 3), status: "restarting", running: true }],
    verdict: "failed",
    check: "running",
    detail: /^restarted after exited with code 3$/,
  },
  {
    name: "an exit with an Engine error inside the monitor window keeps the error as the excerpt",
    samples: [up(0), exited(5_000, 127, { error: new UntrustedText('exec: "/app": permission denied') })],
    verdict: "failed",
    check: "running",
    detail: /^exited with code 127 \(the Engine's error is in gitdock's local log\) during the monitor window$/,
    excerpt: 'exec: "/app": permission denied',
  },
  {
    name: "container removed → failed/running",
    samples: [up(0, { health: "starting" }), { ...exited(250, 0), status: "removing" }],
    verdict: "failed",
    check: "running",
    detail: /container removed/,
  },
  {
    name: "created but not started yet → pending",
    samples: [{ ...up(0), status: "created", running: false, startedAt: NEVER }],
    verdict: "pending",
  },
  {
    name: "created, then started: the first StartedAt is not a restart",
    rules: { monitorMs: 0 },
    samples: [{ ...up(0), status: "created", running: false, startedAt: NEVER }, up(250)],
    verdict: "passed",
  },
  {
    // Was: the detail carried the log output. The output is untrusted now: detail = exit code only.
    name: "healthcheck unhealthy → failed/healthcheck with its exit code; the log output only in the excerpt",
    samples: [up(0, { health: "starting" }), up(250, { health: "unhealthy", lastHealthCheck: hc(1, "wget: server returned error: HTTP/1.1 404 Not Found") })],
    verdict: "failed",
    check: "healthcheck",
    detail: /^unhealthy \(Docker healthcheck, exit code 1\)$/,
    excerpt: "wget: server returned error: HTTP/1.1 404 Not Found",
  },
  {
    name: "healthcheck that timed out or could not run (exit -1) says so",
    samples: [up(0, { health: "unhealthy", lastHealthCheck: hc(-1, "Health check exceeded timeout (1s)") })],
    verdict: "failed",
    check: "healthcheck",
    detail: /^unhealthy \(Docker healthcheck, exit code -1: the check timed out or could not be run\)$/,
    excerpt: "Health check exceeded timeout (1s)",
  },
  {
    name: "unhealthy with no log entry → no excerpt",
    samples: [up(0, { health: "unhealthy" })],
    verdict: "failed",
    check: "healthcheck",
    detail: /^unhealthy \(Docker healthcheck, no result recorded\)$/,
  },
  {
    name: "the output of an earlier run is the excerpt when the newest sample has no log",
    samples: [up(0, { health: "starting", lastHealthCheck: hc(1, "not yet") }), up(250, { health: "unhealthy" })],
    verdict: "failed",
    check: "healthcheck",
    detail: /^unhealthy \(Docker healthcheck, exit code 1\)$/,
    excerpt: "not yet",
  },
  {
    name: "healthcheck starting → pending",
    samples: [up(0, { health: "starting" }), up(5_000, { health: "starting" })],
    verdict: "pending",
  },
  {
    name: "healthy, no probe → pending inside the monitor window",
    samples: [up(0, { health: "healthy" }), up(9_999, { health: "healthy" })],
    verdict: "pending",
  },
  {
    name: "healthy, no probe → passed once the monitor window has passed",
    samples: [up(0, { health: "starting" }), up(1_000, { health: "healthy" }), up(6_000, { health: "healthy" }), up(11_000, { health: "healthy" })],
    verdict: "passed",
  },
  {
    name: "no healthcheck and no probe → passes after the monitor window while running",
    samples: [up(0), up(5_000), up(10_000)],
    verdict: "passed",
  },
  {
    name: "monitor window of 0 → passes on the first good sample",
    rules: { monitorMs: 0 },
    samples: [up(0)],
    verdict: "passed",
  },
  {
    name: "probe failing → pending",
    rules: { needsProbe: true },
    samples: [up(0, { probe: bad500 }), up(60_000, { probe: bad500 })],
    verdict: "pending",
  },
  {
    name: "running without a probe result yet → pending",
    rules: { needsProbe: true, monitorMs: 0 },
    samples: [up(0)],
    verdict: "pending",
  },
  {
    name: "probe failing → failed at the timeout with the probe's last detail",
    rules: { needsProbe: true, timeoutMs: 20_000 },
    samples: [up(0, { probe: { ok: false, detail: "http GET /healthz: ECONNREFUSED" } }), up(10_000, { probe: bad500 }), up(20_000)],
    verdict: "failed",
    check: "timeout",
    detail: /^not healthy after 20s: probe: http 500 on \/healthz \(expected 200\)$/,
  },
  {
    name: "probe answering, then monitor window → passed",
    rules: { needsProbe: true },
    samples: [up(0, { probe: bad500 }), up(2_000, { probe: ok }), up(7_000, { probe: ok }), up(12_000, { probe: ok })],
    verdict: "passed",
  },
  {
    name: "healthcheck healthy but probe failing → pending (all checks must hold)",
    rules: { needsProbe: true },
    samples: [up(0, { health: "healthy", probe: bad500 }), up(30_000, { health: "healthy", probe: bad500 })],
    verdict: "pending",
  },
  {
    name: "unhealthy inside the monitor window → failed/monitor",
    samples: [up(0, { health: "healthy" }), up(5_000, { health: "unhealthy", lastHealthCheck: hc(1, "boom") })],
    verdict: "failed",
    check: "monitor",
    detail: /^turned unhealthy during the monitor window: unhealthy \(Docker healthcheck, exit code 1\)$/,
    excerpt: "boom",
  },
  {
    name: "exit inside the monitor window → failed/running with the exit code, saying when",
    samples: [up(0), exited(5_000, 137)],
    verdict: "failed",
    check: "running",
    detail: /^exited with code 137 during the monitor window$/,
  },
  {
    name: "restart inside the monitor window → failed/running",
    samples: [up(0), up(5_000, { restartCount: 1, startedAt: "2026-01-01T00:00:05Z" })],
    verdict: "failed",
    check: "running",
    detail: /^restarted during the monitor window$/,
  },
  {
    name: "paused inside the monitor window → failed/running",
    samples: [up(0), { ...up(5_000), status: "paused" }],
    verdict: "failed",
    check: "running",
    detail: /^status paused during the monitor window$/,
  },
  {
    name: "one failed probe attempt inside the window holds the verdict, does not fail",
    rules: { needsProbe: true },
    samples: [up(0, { probe: ok }), up(9_000, { probe: bad500 }), up(10_500, { probe: bad500 })],
    verdict: "pending",
  },
  {
    name: "a probe that answers again after a blip → passed",
    rules: { needsProbe: true },
    samples: [up(0, { probe: ok }), up(9_000, { probe: bad500 }), up(10_500, { probe: ok })],
    verdict: "passed",
  },
  {
    name: `probe failing ${MONITOR_PROBE_FAILURES} times in a row inside the window → failed/monitor`,
    rules: { needsProbe: true },
    samples: [up(0, { probe: ok }), ...Array.from({ length: MONITOR_PROBE_FAILURES }, (_, i) => up(1_000 + i * 250, { probe: bad500 }))],
    verdict: "failed",
    check: "monitor",
    detail: /^turned unhealthy during the monitor window: probe failed 3 times in a row: http 500 on \/healthz/,
  },
  {
    // Was: "... with its last output" in the detail. The healthcheck's output is untrusted now.
    name: "timeout names every pending check with its last result; the healthcheck's output only in the excerpt",
    rules: { needsProbe: true, timeoutMs: 120_000 },
    samples: [
      up(0, { health: "starting", lastHealthCheck: hc(1, "connection refused"), probe: { ok: false, detail: "http GET /healthz: ECONNREFUSED" } }),
      up(120_000, { health: "starting" }),
    ],
    verdict: "failed",
    check: "timeout",
    detail: /^not healthy after 120s: healthcheck: starting \(last run: Docker healthcheck, exit code 1\); probe: http GET \/healthz: ECONNREFUSED$/,
    excerpt: "connection refused",
  },
  {
    name: "timeout with a healthcheck that has not run yet",
    rules: { timeoutMs: 1_000 },
    samples: [up(0, { health: "starting" }), up(1_000, { health: "starting" })],
    verdict: "failed",
    check: "timeout",
    detail: /^not healthy after 1s: healthcheck: starting \(no result yet\)$/,
  },
  {
    name: "timeout while never running names the status",
    rules: { timeoutMs: 1_500 },
    samples: [
      { ...up(0), status: "created", running: false, startedAt: NEVER },
      { ...up(1_500), status: "created", running: false, startedAt: NEVER },
    ],
    verdict: "failed",
    check: "timeout",
    detail: /^not healthy after 1\.5s: running: status created$/,
  },
  {
    name: "a crash seen at the deadline is reported as the crash, not the timeout",
    rules: { timeoutMs: 1_000 },
    samples: [up(0, { health: "starting" }), exited(1_000, 2)],
    verdict: "failed",
    check: "running",
    detail: /exited with code 2/,
  },
  {
    name: "checks that pass before the timeout get their full monitor window past it",
    rules: { timeoutMs: 10_000, monitorMs: 10_000 },
    samples: [up(0, { health: "starting" }), up(9_000, { health: "healthy" }), up(15_000, { health: "healthy" }), up(19_000, { health: "healthy" })],
    verdict: "passed",
  },
];

describe("decideGate", () => {
  it.each(cases)("$name", (c) => {
    const ds = run(c.samples, rules(c.rules));
    const d = last(ds);
    expect(ds).toHaveLength(c.decidedAt === undefined ? c.samples.length : c.decidedAt + 1);
    expect(d.verdict).toBe(c.verdict);
    if (c.verdict === "failed") {
      expect(d.failure?.check).toBe(c.check);
      expect(d.failure?.detail).toMatch(c.detail ?? /./);
      if (c.excerpt === undefined) {
        expect(d.failure?.excerpt).toBeUndefined();
      } else {
        expect(d.failure?.excerpt?.excerpt(NOTHING_TO_REDACT)).toBe(c.excerpt);
        expect(d.failure?.detail).not.toContain(c.excerpt);
        // Serialized as a whole (as a log or a journal would), the failure shows no output either.
        expect(JSON.stringify(d.failure)).not.toContain(c.excerpt);
      }
    } else {
      expect(d.failure).toBeUndefined();
    }
  });

  it("records when the checks first passed and keeps it", () => {
    const ds = run([up(0, { health: "starting" }), up(3_000, { health: "healthy" }), up(4_000, { health: "healthy" })], rules());
    expect(ds.map((d) => d.progress.passedAt)).toEqual([undefined, 3_000, 3_000]);
  });

  it("records the first-seen StartedAt and RestartCount as the baseline", () => {
    const [d] = run([up(0, { restartCount: 4 })], rules());
    expect(d!.progress.baseline).toEqual({ startedAt: STARTED, restartCount: 4 });
  });

  it("does not change the progress it is given", () => {
    const progress = initialGateProgress();
    const before = structuredClone(progress);
    decideGate(up(0, { probe: bad500 }), progress, rules({ needsProbe: true }));
    expect(progress).toEqual(before);
  });
});
