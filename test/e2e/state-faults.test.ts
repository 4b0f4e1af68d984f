/**
 * Faults of gitdock's own state, on the real Engine: the state directory lost while the branch head
 * is a failed commit (the state is rebuilt from the containers' labels and drift repair goes on; with
 * git notes on, the failed mark comes back from this host's own note and the head is not tried
 * again), a new host key (only containers that use env files or secrets are replaced, and the plan
 * says why), and a commit that removes one stack while another stack's release fails (the removed
 * stack's containers keep running throughout).
 */
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, dockerCli, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { readJournal } from "../support/journal.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-sf-";
const APP = `${P}app`;
const KEEP = `${P}keep`;
let repo: ManifestRepo;
let host: TestHost;
let envDir: string;

const images = () => testEnv().images;

async function write(stack: string, body: string): Promise<void> {
  await repo.write(`hosts/h1/${stack}/compose.yaml`, `name: ${P}${stack}\nservices:\n${body}`);
}

async function ids(project: string): Promise<Record<string, string>> {
  return Object.fromEntries((await containersOf(project)).map((c) => [c.name, `${c.id}:${c.state}`]));
}

beforeAll(async () => {
  const env = testEnv();
  envDir = await mkdtemp(path.join(os.tmpdir(), `${P}env-`));
  await writeFile(path.join(envDir, "db.env"), "DB_PASSWORD=planted-value\n", { mode: 0o600 });
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1", config: `security:\n  policy:\n    env_file_roots: [${envDir}]\n` });
  await write("app", `  web:\n${webService(env.images["web-v1"])}\n  db:\n${webService(env.images.sleeper, `    env_file: ${envDir}/db.env`)}\n`);
  await write("keep", `  web:\n${webService(env.images["web-v1"])}\n`);
  await repo.commit("good: app and keep");
  const r = await host.run("sync");
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await rm(envDir, { recursive: true, force: true });
});

describe("a new host key", () => {
  it("replaces only the containers that use env files or secrets, and says why", async () => {
    const before = await ids(APP);
    await rename(path.join(host.stateDir, "host.key"), path.join(host.stateDir, "host.key.old"));
    const plan = await host.run("plan");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`~ ${APP}-db-1\\s+replace\\s+secret digest key changed`));
    expect(plan.stdout).toMatch(/0 to create, 1 to replace, 0 to remove, 2 unchanged/);
    expect(plan.stdout).not.toMatch(new RegExp(`~ ${APP}-web-1`));
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    const after = await ids(APP);
    expect(after[`${APP}-web-1`]).toBe(before[`${APP}-web-1`]);
    expect(after[`${APP}-db-1`]).not.toBe(before[`${APP}-db-1`]);
  });
});

describe("a removed stack while another stack's release fails", () => {
  it("keeps the removed stack's containers running throughout, and the commit ends rolled back", async () => {
    const keepBefore = await ids(KEEP);
    await repo.remove("hosts/h1/keep/compose.yaml");
    await write(
      "app",
      `  web:\n${webService(images()["web-unhealthy"], "    x-gitdock:\n      probe:\n        http: { port: 8080, path: /healthz }\n      health_timeout: 6s")}\n  db:\n${webService(images().sleeper, `    env_file: ${envDir}/db.env`)}\n`,
    );
    await repo.commit("remove keep, break app");
    const sync = host.run("sync");
    let watching = true;
    const seen = new Set<string>();
    const watch = (async () => {
      while (watching) {
        seen.add(JSON.stringify(await ids(KEEP)));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const r = await sync;
    watching = false;
    await watch;
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect([...seen]).toEqual([JSON.stringify(keepBefore)]);
    expect(await ids(KEEP)).toEqual(keepBefore);
  });
});

describe("the state directory lost while the branch head is a failed commit", () => {
  it("is rebuilt from the containers' labels, tries the head once more, then repairs drift toward the good commit", async () => {
    const state = JSON.parse(await readFile(path.join(host.stateDir, "state.json"), "utf8")) as { lastGood: { commit: string } };
    const good = state.lastGood.commit;
    await rm(host.stateDir, { recursive: true, force: true });
    const first = await host.run("sync");
    expect(first.code, first.stdout + first.stderr).toBe(3); // the head, tried once more, fails again
    expect(first.stderr).toMatch(/rebuilt from the host, whose containers run/);
    const status = await host.run("status", ["--json"]);
    const report = JSON.parse(status.stdout) as { lastGood: { commit: string }; rebuilt?: { commit: string }; failed: Record<string, unknown> };
    expect(report.lastGood.commit).toBe(good);
    expect(report.rebuilt?.commit).toBe(good);
    expect(Object.keys(report.failed)).toHaveLength(1);
    await dockerCli(["rm", "-f", `${APP}-web-1`]);
    const repair = await host.run("sync");
    expect(repair.code, repair.stdout + repair.stderr).toBe(3); // held: the head is failed; the host is repaired
    await waitFor(async () => (await containersOf(APP)).find((c) => c.name === `${APP}-web-1` && c.state === "running")?.labels["gitdock.commit"] === good, {
      timeoutMs: 30_000,
      what: "web recreated at the good commit",
    });
    const entries = await readJournal(host.stateDir);
    expect(entries.find((e) => e.action === "state" && e.outcome === "rebuilt")?.commit).toBe(good);
  });
});

describe("the state directory lost after a failed commit was written to the git notes", () => {
  const N = `${P}noted-`;
  const project = `${N}app`;
  let notedRepo: ManifestRepo;
  let noted: TestHost;
  const file = (image: string, extra = "") => `name: ${project}\nservices:\n  web:\n${webService(image, extra)}\n`;
  const probe = "    x-gitdock:\n      probe:\n        http: {port: 8080, path: /healthz}\n      health_timeout: 8s";

  beforeAll(async () => {
    notedRepo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${N}manifests`);
    noted = await createTestHost({ prefix: N, repo: notedRepo.url, config: "report:\n  git_notes: true\n" });
  });
  afterAll(async () => {
    await noted?.dispose();
    await notedRepo?.dispose();
  });

  it("takes the failed mark back from this host's own note and does not try the head again", async () => {
    await notedRepo.write("app/compose.yaml", file(images()["web-v1"]));
    const good = await notedRepo.commit("good");
    expect((await noted.run("sync")).code).toBe(0);
    await notedRepo.write("app/compose.yaml", file(images()["web-unhealthy"], probe));
    const bad = await notedRepo.commit("bad");
    const failed = await noted.run("sync");
    expect(failed.code, failed.stdout + failed.stderr).toBe(3);
    const serving = await ids(project);

    await rm(noted.stateDir, { recursive: true, force: true });
    const r = await noted.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3); // held, not tried again
    expect(await ids(project)).toEqual(serving); // nothing was replaced
    const status = JSON.parse((await noted.run("status", ["--json"])).stdout) as {
      lastGood: { commit: string };
      failed: Record<string, { reason: string }>;
    };
    expect(status.lastGood.commit).toBe(good);
    expect(Object.keys(status.failed)).toEqual([bad]);
    expect(status.failed[bad]?.reason).toMatch(/^rolled-back \(rebuilt from this host's git note\): /);
    expect((await readJournal(noted.stateDir)).filter((e) => e.action === "rollout" || e.action === "replace")).toEqual([]);
  });
});
