import { describe, expect, it } from "vitest";
import {
  decideGate,
  initialGateProgress,
  MONITOR_PROBE_FAILURES,
  type GateDecision,
  type GateRules,
  type GateSample,
} from "../../src/health/gate-decision.js";

const STARTED = "2026-01-01T00:00:00.000000001Z";
const NEVER = "0001-01-01T00:00:00Z";

/** A running container with no healthcheck, seen at `at` ms. */
function up(at: number, over: Partial<GateSample> = {}): GateSample {
  return { at, status: "running", running: true, restartCount: 0, startedAt: STARTED, exitCode: 0, health: "none", ...over };
}
function exited(at: number, exitCode: number, over: Partial<GateSample> = {}): GateSample {
  return { ...up(at), status: "exited", running: false, exitCode, ...over };
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
    name: "out of memory and runtime error are named",
    samples: [exited(0, 137, { oomKilled: true, error: "OCI runtime create failed:\n  exec: nope" })],
    verdict: "failed",
    check: "running",
    detail: /^exited with code 137 \(out of memory\): OCI runtime create failed: exec: nope$/,
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
    name: "healthcheck unhealthy → failed/healthcheck with the log output",
    samples: [up(0, { health: "starting" }), up(250, { health: "unhealthy", lastHealthOutput: "wget: server returned error: HTTP/1.1 404 Not Found (exit 1)" })],
    verdict: "failed",
    check: "healthcheck",
    detail: /^unhealthy: wget: server returned error: HTTP\/1\.1 404 Not Found \(exit 1\)$/,
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
    samples: [up(0, { health: "healthy" }), up(5_000, { health: "unhealthy", lastHealthOutput: "boom (exit 1)" })],
    verdict: "failed",
    check: "monitor",
    detail: /^turned unhealthy during the monitor window: unhealthy: boom \(exit 1\)$/,
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
    name: "timeout names every pending check with its last output",
    rules: { needsProbe: true, timeoutMs: 120_000 },
    samples: [
      up(0, { health: "starting", lastHealthOutput: "connection refused (exit 1)", probe: { ok: false, detail: "http GET /healthz: ECONNREFUSED" } }),
      up(120_000, { health: "starting" }),
    ],
    verdict: "failed",
    check: "timeout",
    detail: /^not healthy after 120s: healthcheck: starting: connection refused \(exit 1\); probe: http GET \/healthz: ECONNREFUSED$/,
  },
  {
    name: "timeout while never running names the status",
    rules: { timeoutMs: 1_500 },
    samples: [{ ...up(0), status: "created", running: false, startedAt: NEVER }, { ...up(1_500), status: "created", running: false, startedAt: NEVER }],
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
