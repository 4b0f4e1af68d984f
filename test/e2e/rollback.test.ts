/**
 * Health-gated rollouts and automatic rollback to the last good commit, on the real engine,
 * registry and Git server. One scenario per `describe`, steps in order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerEventsSince, containersOf, dockerClient, httpGet, removeProjects, waitFor } from "../support/docker.js";
import { freePort } from "../support/free-port.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { readJournal } from "../support/journal.js";
import { createTestHost, servedBy, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-rb-";
const probe = (timeout = "8s") => `    x-gitdock:\n      probe:\n        http: {port: 8080, path: /healthz}\n      health_timeout: ${timeout}`;

/** A stack whose `web` service runs `image` (2 replicas) behind an HTTP probe on /healthz. */
function stackFile(project: string, image: string, extra = "", monitor = "300ms"): string {
  return `name: ${project}
services:
  web:
${webService(image, `${probe()}\n${extra}`, { deploy: ["replicas: 2"], monitor })}
`;
}

interface ServiceStatus {
  service: string;
  health: string;
  lastAction?: { action: string; outcome: string; commit: string };
}

async function statusJson(
  host: TestHost,
): Promise<{ failed: Record<string, { reason: string }>; lastGood?: { commit: string }; stacks: { project: string; services: ServiceStatus[] }[] }> {
  const r = await host.run("status", ["--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const journal = (host: TestHost) => readJournal(host.stateDir);

async function namesAndStates(project: string): Promise<string[]> {
  return (await containersOf(project)).map((c) => `${c.name} ${c.state}`).sort();
}

describe("a release that fails its gate is rolled back, and held back", () => {
  const project = `${P}app`;
  let repo: ManifestRepo;
  let host: TestHost;
  let good: string;

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}app`);
    host = await createTestHost({ prefix: `${P}app-`, repo: repo.url });
  });
  afterAll(async () => {
    await removeProjects(project);
    await host?.dispose();
    await repo?.dispose();
  });

  it("a good release goes live and the replaced containers are gone afterwards", async () => {
    const { images } = testEnv();
    await repo.write("app/compose.yaml", stackFile(project, images["web-v1"]));
    await repo.commit("v1");
    expect((await host.run("sync")).code).toBe(0);
    await repo.write("app/compose.yaml", stackFile(project, images["web-v2"]));
    good = await repo.commit("v2");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(await namesAndStates(project)).toEqual([`${project}-web-1 running`, `${project}-web-2 running`]);
    expect(await servedBy(`${project}-web-1`)).toBe("web-v2");
    expect((await statusJson(host)).lastGood?.commit).toBe(good);
  });

  const failing: [string, (images: ReturnType<typeof testEnv>["images"]) => string, RegExp][] = [
    ["an image that crashes", (i) => stackFile(project, i.crash), /running: .*exit/i],
    [
      "an image whose healthcheck never passes",
      (i) => stackFile(project, i["web-hc-bad"]).replace(probe(), "    x-gitdock:\n      health_timeout: 20s"),
      /healthcheck|timeout/,
    ],
    ["a release whose HTTP probe fails", (i) => stackFile(project, i["web-unhealthy"]), /probe|timeout/],
    [
      "a release that turns unhealthy inside the monitor window",
      (i) => stackFile(project, i["web-v3"], `    command: ["sh", "-c", "httpd -p 8080 -h /www && sleep 2 && rm /www/healthz && sleep 100000"]`, "8s"),
      /monitor/,
    ],
  ];

  it.each(failing)("%s ends with the previous commit's containers serving and the commit marked failed", async (_name, compose, why) => {
    await repo.write("app/compose.yaml", compose(testEnv().images));
    const bad = await repo.commit("bad release");
    const serving = await host.ids(project);
    const syncStarted = Date.now();
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain("rolled back");
    expect(await namesAndStates(project)).toEqual([`${project}-web-1 running`, `${project}-web-2 running`]);
    // The very containers that served before: a rollback is a rename and a start, not a create.
    expect(await host.ids(project)).toEqual(serving);
    // Stop-first holds in the rollback too: a kept container starts again only after the failed one
    // in its place died (the rollback starts it at the Engine's death event).
    const events = await containerEventsSince(project, syncStarted);
    const kept = new Set(Object.values(serving));
    const replaced = [...new Set(events.filter((e) => !kept.has(e.id) && e.action === "create").map((e) => e.replica))];
    expect(replaced.length, "the bad release replaced a container before failing").toBeGreaterThan(0);
    for (const replica of replaced) {
      const deaths = events.filter((e) => e.replica === replica && !kept.has(e.id) && e.action === "die").map((e) => e.timeNano);
      const keptStarts = events.filter((e) => e.replica === replica && kept.has(e.id) && e.action === "start").map((e) => e.timeNano);
      expect(deaths.length, `the failed ${replica} died`).toBeGreaterThan(0);
      expect(keptStarts.length, `the kept ${replica} started again`).toBeGreaterThan(0);
      expect(Math.max(...keptStarts), `the kept ${replica} started after the failed one died`).toBeGreaterThan(Math.max(...deaths));
    }
    await waitFor(async () => (await servedBy(`${project}-web-1`)) === "web-v2" && (await servedBy(`${project}-web-2`)) === "web-v2", {
      what: "the previous release serving again",
      timeoutMs: 20_000,
    });
    const status = await statusJson(host);
    expect(status.failed[bad]?.reason).toMatch(why);
    expect(status.lastGood?.commit).toBe(good);
    // Per service: healthy again, and the last thing gitdock did to it was undoing the bad commit.
    expect(status.stacks.find((st) => st.project === project)?.services).toEqual([
      expect.objectContaining({ service: "web", health: "healthy", lastAction: expect.objectContaining({ action: "undo", outcome: "ok", commit: bad }) }),
    ]);
    const rollback = (await journal(host)).find((e) => e.commit === bad && e.action === "rollback");
    expect(rollback).toMatchObject({ outcome: "rolled-back" });
    expect(typeof rollback?.durationMs).toBe("number");

    // The next sync does not try it again.
    const before = await host.ids(project);
    const again = await host.run("sync");
    expect(again.code).toBe(3);
    expect(await host.ids(project)).toEqual(before);
    expect((await journal(host)).filter((e) => e.commit === bad && e.action === "rollback")).toHaveLength(1);
  });

  it("a held commit's host is still repaired toward the last good commit", async () => {
    await removeProjects(`${project}-web-2`);
    const r = await host.run("sync");
    expect(r.code).toBe(3);
    expect(await namesAndStates(project)).toEqual([`${project}-web-1 running`, `${project}-web-2 running`]);
    expect(await servedBy(`${project}-web-2`)).toBe("web-v2");
  });

  it("gitdock retry makes the next sync try the failed commit once more", async () => {
    const bad = await repo.head();
    expect((await host.run("retry", [bad.slice(0, 10)])).code).toBe(0);
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect((await journal(host)).filter((e) => e.commit === bad && e.action === "rollback")).toHaveLength(2);
    expect(await servedBy(`${project}-web-1`)).toBe("web-v2");
  });

  it("a new commit after a failed one is applied", async () => {
    await repo.write("app/compose.yaml", stackFile(project, testEnv().images["web-v3"]));
    const next = await repo.commit("v3");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(await servedBy(`${project}-web-2`)).toBe("web-v3");
    expect((await statusJson(host)).lastGood?.commit).toBe(next);
  });
});

describe("a rollback across two stacks at once", () => {
  const a = `${P}two-a`;
  const b = `${P}two-b`;
  let repo: ManifestRepo;
  let host: TestHost;

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}two`);
    host = await createTestHost({ prefix: `${P}two-`, repo: repo.url });
  });
  afterAll(async () => {
    await host?.dispose();
    await repo?.dispose();
  });

  it("puts both stacks back when one of them fails", async () => {
    const { images } = testEnv();
    await repo.write("a/compose.yaml", stackFile(a, images["web-v1"]));
    await repo.write("b/compose.yaml", stackFile(b, images["web-v1"]));
    await repo.commit("both v1");
    expect((await host.run("sync")).code).toBe(0);
    // Stack a gets a good v2, stack b a release whose probe fails: the commit as a whole is bad.
    await repo.write("a/compose.yaml", stackFile(a, images["web-v2"]));
    await repo.write("b/compose.yaml", stackFile(b, images["web-unhealthy"]).replace(probe(), probe("4s")));
    await repo.commit("a v2, b broken");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(3);
    for (const project of [a, b]) {
      expect(await namesAndStates(project)).toEqual([`${project}-web-1 running`, `${project}-web-2 running`]);
      expect(await servedBy(`${project}-web-1`)).toBe("web-v1");
      expect(await servedBy(`${project}-web-2`)).toBe("web-v1");
    }
  });
});

describe("a service with a host port and a fixed address", () => {
  const project = `${P}port`;
  let repo: ManifestRepo;
  let host: TestHost;

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}port`);
    host = await createTestHost({ prefix: `${P}port-`, repo: repo.url });
  });
  afterAll(async () => {
    await host?.dispose();
    await repo?.dispose();
  });

  // The failed container holds its fixed address until the Engine has cleaned it up, a little after
  // it died: the kept one's start at the death event is refused ("Address already in use") and
  // tried again once the kill has returned.
  it("is rolled back onto the same port and address, the kept container started after the failed one died", async () => {
    const { images } = testEnv();
    const port = await freePort();
    const file = (image: string) => `name: ${project}
services:
  web:
${webService(image, `${probe()}\n    ports: ["127.0.0.1:${port}:8080"]\n    networks:\n      front:\n        ipv4_address: 10.199.83.10`)}
networks:
  front:
    ipam:
      config:
        - subnet: 10.199.83.0/24
`;
    const onPort = async () => (await httpGet(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 }).catch(() => ({ body: "" }))).body.trim();
    await repo.write("port/compose.yaml", file(images["web-v2"]));
    await repo.commit("v2");
    expect((await host.run("sync")).code).toBe(0);
    await waitFor(async () => (await onPort()) === "web-v2", { what: "v2 serving on the host port", timeoutMs: 20_000 });

    await repo.write("port/compose.yaml", file(images["web-unhealthy"]));
    await repo.commit("bad");
    const serving = await host.ids(project);
    const syncStarted = Date.now();
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(await namesAndStates(project)).toEqual([`${project}-web-1 running`]);
    expect(await host.ids(project)).toEqual(serving);
    await waitFor(async () => (await onPort()) === "web-v2", { what: "v2 serving on the host port again", timeoutMs: 20_000 });
    const events = await containerEventsSince(project, syncStarted);
    const kept = serving[`${project}-web-1`];
    const deaths = events.filter((e) => e.id !== kept && e.action === "die").map((e) => e.timeNano);
    const keptStart = Math.max(...events.filter((e) => e.id === kept && e.action === "start").map((e) => e.timeNano));
    expect(deaths.length).toBeGreaterThan(0);
    expect(keptStart).toBeGreaterThan(Math.max(...deaths));
    expect((await dockerClient().getContainer(kept!).inspect()).NetworkSettings.Networks[`${project}_front`]?.IPAddress).toBe("10.199.83.10");
  });
});

describe("start-first", () => {
  const project = `${P}sf`;
  let repo: ManifestRepo;
  let host: TestHost;

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}sf`);
    host = await createTestHost({ prefix: `${P}sf-`, repo: repo.url });
  });
  afterAll(async () => {
    await host?.dispose();
    await repo?.dispose();
  });

  it("keeps the old container serving until the new one is healthy", async () => {
    const { images } = testEnv();
    const file = (image: string, command = "") => `name: ${project}
services:
  web:
${webService(image, `${probe("30s")}\n${command}`, { update: ["order: start-first"] })}
`;
    await repo.write("sf/compose.yaml", file(images["web-v1"]));
    await repo.commit("v1");
    expect((await host.run("sync")).code).toBe(0);
    // v2 takes a few seconds before it serves, so the window in which only the old one can serve is wide.
    await repo.write("sf/compose.yaml", file(images["web-v2"], `    command: ["sh", "-c", "sleep 3; exec httpd -f -p 8080 -h /www"]`));
    await repo.commit("slow v2");

    const sync = host.start("sync");
    const seen: string[] = [];
    try {
      await sync.waitForOutput(/waiting for its health gate/, 60_000);
      // While the new container is not yet healthy, the old one (kept as .gitdock-prev) still serves v1.
      const old = `${project}-web-1.gitdock-prev`;
      seen.push(`${(await containersOf(project)).find((c) => c.name === old)?.state}`);
      seen.push(await servedBy(old));
      await sync.waitForOutput(/synced [0-9a-f]{12}: 1 change/, 60_000);
    } finally {
      await sync.stop("SIGKILL", 5_000);
    }
    expect(seen).toEqual(["running", "web-v1"]);
    expect(await namesAndStates(project)).toEqual([`${project}-web-1 running`]);
    expect(await servedBy(`${project}-web-1`)).toBe("web-v2");
  });
});
