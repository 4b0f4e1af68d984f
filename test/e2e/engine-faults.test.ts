/**
 * Faults that are not the release's, on the real Engine: dockerd stopped and started again in the
 * middle of a rollout (as a package upgrade does), and an Engine API error injected into one call
 * through a proxy in front of the Engine's socket. A good release ends applied and healthy, never
 * marked failed; a bad one still ends failed. This file restarts dockerd, so it stops every
 * container on the Engine: vitest runs test files one at a time.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, waitFor } from "../support/docker.js";
import { startDockerd, stopDockerd } from "../support/dockerd.js";
import { startEngineProxy } from "../support/engine-proxy.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { readJournal } from "../support/journal.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-ef-";
const APP = `${P}app`;
let repo: ManifestRepo;
let host: TestHost;

/** A release of `web` with `image`; a long monitor window keeps the rollout open while the test disturbs the Engine. */
async function release(image: string, label: string, monitor: string, extra = ""): Promise<string> {
  await repo.write(
    "hosts/h1/app/compose.yaml",
    `name: ${APP}\nservices:\n  web:\n${webService(image, `    labels:\n      release: "${label}"\n${extra}`, { monitor })}\n`,
  );
  return repo.commit(`release ${label}`);
}

async function state(): Promise<{ failed: Record<string, unknown>; lastGood?: { commit: string }; rollout?: unknown }> {
  return JSON.parse(await readFile(path.join(host.stateDir, "state.json"), "utf8")) as never;
}

async function journalOutcomes(): Promise<string[]> {
  return (await readJournal(host.stateDir)).map((e) => `${e.action}:${e.outcome}`);
}

/** The running web container's commit, once the new commit's container is up. */
async function newContainerRunning(commit: string): Promise<boolean> {
  return (await containersOf(APP)).some((c) => c.name === `${APP}-web-1` && c.state === "running" && c.labels["gitdock.commit"] === commit);
}

beforeAll(async () => {
  const env = testEnv();
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1" });
  await release(env.images["web-v1"], "1", "300ms");
  const r = await host.run("sync");
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
});

describe("dockerd restarted in the middle of a rollout", () => {
  it("a good release ends applied and healthy, not failed", async () => {
    const commit = await release(testEnv().images["web-v2"], "2", "8s");
    const sync = host.run("sync", [], { timeoutMs: 300_000 });
    await waitFor(() => newContainerRunning(commit), { timeoutMs: 60_000, what: "the new release's container running" });
    await startDockerd(await stopDockerd());
    const r = await sync;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/interrupted: .*(event stream ended|does not answer|died at the same time)/);
    const s = await state();
    expect(s.failed).toEqual({});
    expect(s.lastGood?.commit).toBe(commit);
    expect(s.rollout).toBeUndefined();
    expect(await journalOutcomes()).toEqual(expect.arrayContaining(["rollout:interrupted", "recover:ok", "sync:healthy"]));
    expect(await newContainerRunning(commit)).toBe(true);
  }, 300_000);

  it("a bad release still ends failed, with the host back at the last good commit", async () => {
    const good = (await state()).lastGood?.commit;
    const probe = "    x-gitdock:\n      probe:\n        http: { port: 8080, path: /healthz }\n      health_timeout: 12s";
    const commit = await release(testEnv().images["web-unhealthy"], "3-bad", "300ms", probe);
    const sync = host.run("sync", [], { timeoutMs: 300_000 });
    await waitFor(() => newContainerRunning(commit), { timeoutMs: 60_000, what: "the bad release's container running" });
    await startDockerd(await stopDockerd());
    const r = await sync;
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const s = await state();
    expect(Object.keys(s.failed)).toEqual([commit]);
    expect(s.lastGood?.commit).toBe(good);
    await waitFor(async () => (await containersOf(APP)).some((c) => c.state === "running" && c.labels["gitdock.commit"] === good), {
      timeoutMs: 30_000,
      what: "the last good release running again",
    });
  }, 300_000);
});

describe("an Engine API error in the middle of a rollout", () => {
  it("is not held against the commit: the rollout is undone and tried again", async () => {
    let renames = 0;
    const proxy = await startEngineProxy(path.join(os.tmpdir(), `${P}engine.sock`), (req) =>
      req.method === "POST" && /\/containers\/[^/]+\/rename/.test(req.url ?? "") && renames++ === 0 ? 409 : undefined,
    );
    try {
      const interruptedBefore = (await journalOutcomes()).filter((o) => o === "rollout:interrupted").length;
      const commit = await release(testEnv().images["web-v3"], "4", "300ms");
      const r = await host.run("sync", ["--docker-host", proxy.dockerHost], { timeoutMs: 150_000 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(proxy.injected()).toHaveLength(1);
      const s = await state();
      expect(s.failed[commit]).toBeUndefined();
      expect(s.lastGood?.commit).toBe(commit);
      expect((await journalOutcomes()).filter((o) => o === "rollout:interrupted")).toHaveLength(interruptedBefore + 1);
      expect(await newContainerRunning(commit)).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 200_000);
});
