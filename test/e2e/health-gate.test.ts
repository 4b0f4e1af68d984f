/**
 * The health gate against the real Docker Engine: containers created directly with dockerode from
 * the pinned test images, gated by waitForHealthy. Every container is named `gdt-health-*` and is
 * removed in afterAll, pass or fail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForHealthy, type GateTarget } from "../../src/health/index.js";
import type { Probe } from "../../src/model.js";
import { NOTHING_TO_REDACT } from "../../src/untrusted/index.js";
import { dockerCli, dockerClient, removeProjects } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { WEB_PORT, type TestImageName } from "../support/images.js";

const PREFIX = "gdt-health-";
const docker = dockerClient();
const HEALTHZ: Probe = { kind: "http", port: WEB_PORT, path: "/healthz", expectStatus: 200 };

let seq = 0;
/** Creates and starts a container from a test image; returns the gate target for it. */
async function run(image: TestImageName, opts: { probe?: Probe; healthTimeoutMs?: number; monitorMs?: number; restart?: string } = {}): Promise<GateTarget> {
  const name = `${PREFIX}${image}-${++seq}`;
  const container = await docker.createContainer({
    name,
    Image: testEnv().images[image],
    HostConfig: { Init: true, ...(opts.restart ? { RestartPolicy: { Name: opts.restart } } : {}) },
  });
  await container.start();
  return {
    containerId: container.id,
    name,
    probe: opts.probe,
    healthTimeoutMs: opts.healthTimeoutMs ?? 20_000,
    monitorMs: opts.monitorMs ?? 1_000,
  };
}

beforeAll(async () => {
  await removeProjects(PREFIX);
});

afterAll(async () => {
  await removeProjects(PREFIX);
});

describe("health gate on the real engine", () => {
  it("passes web-v1 with an HTTP probe on /healthz", async () => {
    const t = await run("web-v1", { probe: HEALTHZ });
    const r = await waitForHealthy(docker, t);
    expect(r).toMatchObject({ ok: true, container: t.name });
  });

  it("passes web-v1 with a TCP probe on its port", async () => {
    const t = await run("web-v1", { probe: { kind: "tcp", port: WEB_PORT } });
    const r = await waitForHealthy(docker, t);
    expect(r).toMatchObject({ ok: true, container: t.name });
  });

  it("fails web-unhealthy's HTTP probe with the 404 it answered", async () => {
    // This one has to run into its timeout, so keep it short.
    const t = await run("web-unhealthy", { probe: HEALTHZ, healthTimeoutMs: 8_000 });
    const r = await waitForHealthy(docker, t);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(["probe", "timeout"]).toContain(r.failure.check);
    expect(r.failure.detail).toContain("404");
  });

  it("fails a crashing container on `running` with its exit code", async () => {
    const t = await run("crash");
    const r = await waitForHealthy(docker, t);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.check).toBe("running");
    expect(r.failure.detail).toMatch(/\bcode 3\b/);
  });

  it("fails a crash-looping container (restart: always) on `running`", async () => {
    const t = await run("crash", { restart: "always" });
    const r = await waitForHealthy(docker, t);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.check).toBe("running");
    expect(r.failure.detail).toMatch(/restarted|exited with code 3/);
  });

  it("passes web-hc once its Docker healthcheck reports healthy", async () => {
    const t = await run("web-hc");
    const r = await waitForHealthy(docker, t);
    expect(r).toMatchObject({ ok: true, container: t.name });
    const info = await docker.getContainer(t.containerId).inspect();
    expect(info.State.Health?.Status).toBe("healthy");
  });

  // Was: the detail carried the healthcheck's output. Container output is untrusted (issue 10):
  // the detail, which becomes the recorded reason, has the exit code; the output is the excerpt.
  it("fails web-hc-bad on `healthcheck` with its exit code; the healthcheck's output only in the excerpt", async () => {
    const t = await run("web-hc-bad");
    const r = await waitForHealthy(docker, t);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.check).toBe("healthcheck");
    expect(r.failure.detail).toMatch(/^unhealthy \(Docker healthcheck, exit code [1-9]\d*\)$/);
    expect(r.failure.excerpt?.excerpt(NOTHING_TO_REDACT)).toMatch(/404/);
    expect(r.failure.detail).not.toMatch(/404|wget/);
  });

  it("fails a container killed during the monitor window", async () => {
    const t = await run("web-v1", { probe: HEALTHZ, monitorMs: 60_000 });
    let killed: Promise<unknown> | undefined;
    const r = await waitForHealthy(docker, t, {
      onChecksPassed: () => {
        killed = docker.getContainer(t.containerId).kill();
      },
    });
    await killed;
    expect(killed).toBeDefined();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(["monitor", "running"]).toContain(r.failure.check);
    expect(r.failure.detail).toMatch(/exited with code 137/);
  });

  it("fails on `monitor` when the healthcheck turns unhealthy inside the monitor window", async () => {
    const t = await run("web-hc", { monitorMs: 60_000 });
    let broken: Promise<unknown> | undefined;
    const r = await waitForHealthy(docker, t, {
      onChecksPassed: () => {
        broken = dockerCli(["exec", t.containerId, "rm", "/www/healthz"]);
      },
    });
    await broken;
    expect(broken).toBeDefined();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.check).toBe("monitor");
    // Was: `unhealthy: <output with 404>` in the detail; the output is the excerpt now (issue 10).
    expect(r.failure.detail).toMatch(/^turned unhealthy during the monitor window: unhealthy \(Docker healthcheck, exit code [1-9]\d*\)$/);
    expect(r.failure.excerpt?.excerpt(NOTHING_TO_REDACT)).toMatch(/404/);
    expect(r.failure.detail).not.toMatch(/404|wget/);
  });

  it("fails a container removed under it with `running: container removed`", async () => {
    const t = await run("sleeper", { monitorMs: 60_000 });
    let removed: Promise<unknown> | undefined;
    const r = await waitForHealthy(docker, t, {
      onChecksPassed: () => {
        removed = docker.getContainer(t.containerId).remove({ force: true });
      },
    });
    await removed;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.detail).toMatch(/container removed|exited/);
  });

  it("returns `aborted` when its signal aborts", async () => {
    const t = await run("sleeper", { monitorMs: 60_000 });
    const ctrl = new AbortController();
    const r = await waitForHealthy(docker, t, { signal: ctrl.signal, onChecksPassed: () => ctrl.abort() });
    expect(r).toMatchObject({ ok: false, failure: { check: "aborted" } });
  });
});
