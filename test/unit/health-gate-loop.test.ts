/**
 * The sampling loop of waitForHealthy against a scripted fake Engine (no Docker): 404s,
 * aborts, Engine hiccups, concurrent gates. The rules themselves are in health-gate-decision.test.ts.
 */
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { EngineUnavailableError, HealthGateFailedError } from "../../src/errors.js";
import { formatGateFailure, gateFailedError, waitForCompletion, waitForHealthy, type GateTarget } from "../../src/health/index.js";
import { NOTHING_TO_REDACT, UntrustedText, WITHHELD } from "../../src/untrusted/index.js";

type Step =
  | { status?: string; exitCode?: number; health?: string; healthOutput?: string; engineError?: string }
  | { error: { statusCode?: number; code?: string } }
  | "hang";

/** A fake Engine whose containers answer inspect from a script; the last step repeats. */
function fakeDocker(scripts: Record<string, Step[]>): Docker {
  const calls: Record<string, number> = {};
  return {
    getContainer(id: string) {
      return {
        inspect: async () => {
          const script = scripts[id] ?? [];
          const n = (calls[id] = (calls[id] ?? 0) + 1);
          const step = script[Math.min(n, script.length) - 1];
          if (step === undefined) throw Object.assign(new Error("no such container"), { statusCode: 404 });
          if (step === "hang") return new Promise(() => undefined);
          if ("error" in step) throw Object.assign(new Error("engine says no"), step.error);
          const status = step.status ?? "running";
          return {
            RestartCount: 0,
            State: {
              Status: status,
              Running: status === "running",
              ExitCode: step.exitCode ?? 0,
              StartedAt: "2026-01-01T00:00:00Z",
              OOMKilled: false,
              Error: step.engineError ?? "",
              ...(step.health
                ? {
                    Health: { Status: step.health, FailingStreak: 0, Log: step.healthOutput === undefined ? [] : [{ ExitCode: 1, Output: step.healthOutput }] },
                  }
                : {}),
            },
            NetworkSettings: { Networks: {}, Ports: {} },
            HostConfig: { NetworkMode: "bridge" },
          };
        },
      };
    },
  } as unknown as Docker;
}

/** A clock that moves 1 s every time it is read: gates finish in a few polls. */
function steppingClock(stepMs = 1_000): () => number {
  let t = 0;
  return () => (t += stepMs);
}

function target(id: string, over: Partial<GateTarget> = {}): GateTarget {
  return { containerId: id, name: `shop-${id}-1`, probe: undefined, healthTimeoutMs: 20_000, monitorMs: 3_000, ...over };
}

describe("waitForHealthy", () => {
  it("passes a running container after its monitor window and reports the check start", async () => {
    const passed: string[] = [];
    const r = await waitForHealthy(fakeDocker({ web: [{ health: "starting" }, { health: "healthy" }] }), target("web"), {
      pollMs: 1,
      now: steppingClock(),
      onChecksPassed: (c) => passed.push(c),
    });
    expect(r).toMatchObject({ ok: true, container: "shop-web-1" });
    expect(passed).toEqual(["shop-web-1"]);
  });

  it("fails a crashed container with its exit code", async () => {
    const r = await waitForHealthy(fakeDocker({ web: [{ status: "exited", exitCode: 3 }] }), target("web"), { pollMs: 1, now: steppingClock() });
    expect(r).toMatchObject({ ok: false, failure: { check: "running", detail: "exited with code 3" } });
  });

  it("keeps an unhealthy container's output in the result's excerpt, never in its detail", async () => {
    const printed = "token is s3cr3t-value\nbye";
    const r = await waitForHealthy(fakeDocker({ web: [{ health: "starting" }, { health: "unhealthy", healthOutput: printed }] }), target("web"), {
      pollMs: 1,
      now: steppingClock(),
    });
    expect(r).toMatchObject({ ok: false, failure: { check: "healthcheck", detail: "unhealthy (Docker healthcheck, exit code 1)" } });
    if (r.ok) return;
    expect(r.failure.excerpt?.excerpt(NOTHING_TO_REDACT)).toBe("token is s3cr3t-value bye");
    expect(formatGateFailure(r)).not.toContain("s3cr3t");
    expect(JSON.stringify(r)).not.toContain("s3cr3t");
  });

  it("keeps the Engine's State.Error of an exited container in the excerpt", async () => {
    const r = await waitForHealthy(fakeDocker({ web: [{ status: "exited", exitCode: 127, engineError: "exec: planted: not found" }] }), target("web"), {
      pollMs: 1,
      now: steppingClock(),
    });
    expect(r).toMatchObject({ ok: false, failure: { check: "running", detail: "exited with code 127 (the Engine's error is in gitdock's local log)" } });
    if (r.ok) return;
    expect(r.failure.excerpt?.excerpt(NOTHING_TO_REDACT)).toBe("exec: planted: not found");
    expect(formatGateFailure(r)).not.toContain("planted");
  });

  it("fails with `running: container removed` when the container disappears", async () => {
    const r = await waitForHealthy(fakeDocker({ web: [{ health: "starting" }, { error: { statusCode: 404 } }] }), target("web"), {
      pollMs: 1,
      now: steppingClock(),
    });
    expect(r).toMatchObject({ ok: false, failure: { check: "running", detail: "container removed" } });
  });

  it("rides out Engine hiccups", async () => {
    const r = await waitForHealthy(fakeDocker({ web: [{ error: { code: "ECONNRESET" } }, { error: { statusCode: 500 } }, {}] }), target("web"), {
      pollMs: 1,
      now: steppingClock(),
    });
    expect(r.ok).toBe(true);
  });

  it("throws EngineUnavailableError when the Engine never answers for the whole gate", async () => {
    const p = waitForHealthy(fakeDocker({ web: [{ error: { code: "ECONNREFUSED" } }] }), target("web"), { pollMs: 1, now: steppingClock() });
    await expect(p).rejects.toBeInstanceOf(EngineUnavailableError);
  });

  it("returns `aborted` promptly while an inspect hangs", async () => {
    const ctrl = new AbortController();
    const p = waitForHealthy(fakeDocker({ web: ["hang"] }), target("web"), { signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 10);
    await expect(p).resolves.toMatchObject({ ok: false, failure: { check: "aborted" } });
  });

  it("returns `aborted` at once for an already aborted signal", async () => {
    const r = await waitForHealthy(fakeDocker({ web: [{}] }), target("web"), { signal: AbortSignal.abort() });
    expect(r).toMatchObject({ ok: false, failure: { check: "aborted" } });
  });
});

/** Wake-ups whose `ring` reports an event for a container, as the Engine's stream would. */
function fakeWakeups() {
  const listeners = new Map<string, () => void>();
  return {
    on: (id: string, wake: () => void) => {
      listeners.set(id, wake);
      return () => listeners.delete(id);
    },
    lost: () => false,
    close: () => undefined,
    ring: (id: string) => listeners.get(id)?.(),
    subscribed: () => [...listeners.keys()],
  };
}

/** `docker` whose container `id` reports an Engine event (rings) while its first inspect runs; counts the inspects. */
function ringsDuringFirstInspect(docker: Docker, wakeups: ReturnType<typeof fakeWakeups>, id: string): { docker: Docker; inspects: () => number } {
  let n = 0;
  const wrapped = {
    getContainer: (cid: string) => {
      const c = docker.getContainer(cid);
      return {
        inspect: () => {
          if (++n === 1) wakeups.ring(id);
          return c.inspect();
        },
      };
    },
  } as unknown as Docker;
  return { docker: wrapped, inspects: () => n };
}

describe("waitForHealthy woken by the Engine's events", () => {
  it("samples at once on an event instead of waiting out a long poll interval, and unsubscribes when done", async () => {
    const wakeups = fakeWakeups();
    const docker = fakeDocker({ a: [{ health: "starting" }, { health: "unhealthy", healthOutput: "boom" }] });
    const started = Date.now();
    const gate = waitForHealthy(docker, target("a", { monitorMs: 0 }), { pollMs: 60_000, wakeups });
    await new Promise((r) => setTimeout(r, 20));
    expect(wakeups.subscribed()).toEqual(["a"]);
    wakeups.ring("a");
    const r = await gate;
    expect(r.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(wakeups.subscribed()).toEqual([]);
  });

  it("an event that came while sampling skips the next pause", async () => {
    const wakeups = fakeWakeups();
    const { docker, inspects } = ringsDuringFirstInspect(fakeDocker({ a: [{ health: "starting" }, { health: "unhealthy" }] }), wakeups, "a");
    const r = await waitForHealthy(docker, target("a"), { pollMs: 60_000, wakeups });
    expect([r.ok, inspects()]).toEqual([false, 2]);
  });
});

describe("waitForCompletion: the sampling loop of a job or one-shot", () => {
  it("a die that came while inspecting skips the next pause (it is not slept through)", async () => {
    const wakeups = fakeWakeups();
    const { docker, inspects } = ringsDuringFirstInspect(fakeDocker({ job: [{ status: "running" }, { status: "exited", exitCode: 0 }] }), wakeups, "job");
    const started = Date.now();
    const r = await waitForCompletion(docker, { containerId: "job", name: "shop-migrate-1", timeoutMs: 120_000 }, { pollMs: 60_000, wakeups });
    expect([r.ok, inspects()]).toEqual([true, 2]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe("formatGateFailure", () => {
  it("is one line: container, check, detail", () => {
    const r = { ok: false as const, container: "shop-web-1", durationMs: 5, failure: { check: "probe" as const, detail: "http 500 on /healthz" } };
    expect(formatGateFailure(r)).toBe("shop-web-1: probe: http 500 on /healthz");
  });

  it("flattens, shortens and redacts", () => {
    const detail = `unhealthy: curl http://admin:hunter2@db:5432/x failed\npassword=hunter2 ${"x".repeat(500)}`;
    const line = formatGateFailure({ ok: false, container: "c", durationMs: 0, failure: { check: "healthcheck", detail } });
    expect(line).not.toMatch(/\n|hunter2/);
    expect(line).toContain("http://***@db:5432/x");
    expect(line.length).toBeLessThanOrEqual(300);
  });

  it("says healthy for a passed gate", () => {
    expect(formatGateFailure({ ok: true, container: "c", durationMs: 0 })).toBe("c: healthy");
  });

  it("becomes a HealthGateFailedError carrying container, check and detail", () => {
    const err = gateFailedError({ ok: false, container: "c", durationMs: 0, failure: { check: "timeout", detail: "not healthy after 120s: probe: x" } });
    expect(err).toBeInstanceOf(HealthGateFailedError);
    expect(err.code).toBe("GITDOCK_E_HEALTH_FAILED");
    expect(err.data).toEqual({ container: "c", check: "timeout", detail: "not healthy after 120s: probe: x" });
    expect(err.excerpt).toBeUndefined();
    expect(err.hint).not.toMatch(/local log/);
  });

  it("carries the excerpt on the error's own field: not in its message, hint, data or JSON", () => {
    const output = "API_TOKEN=planted-value-123";
    const err = gateFailedError(
      {
        ok: false,
        container: "c",
        durationMs: 0,
        failure: { check: "healthcheck", detail: "unhealthy (Docker healthcheck, exit code 1)", excerpt: new UntrustedText(output) },
      },
      { data: { failureAction: "rollback" } },
    );
    expect(err.message).toBe("health gate failed: c: healthcheck: unhealthy (Docker healthcheck, exit code 1)");
    expect(err.data).toEqual({ container: "c", check: "healthcheck", detail: "unhealthy (Docker healthcheck, exit code 1)", failureAction: "rollback" });
    expect(err.hint).toMatch(/gitdock's local log on this host, redacted/);
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a template makes of the excerpt is the point
    for (const shown of [err.message, err.hint, JSON.stringify(err), JSON.stringify(err.data), `${err.excerpt}`]) {
      expect(shown).not.toContain("planted-value");
    }
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- as above
    expect(`${err.excerpt}`).toBe(WITHHELD);
    expect(err.excerpt?.excerpt(NOTHING_TO_REDACT)).toBe("API_TOKEN=***");
  });
});
