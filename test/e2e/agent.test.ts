/**
 * `gitdock run`: the agent as a child process against the real engine, registry and Git server.
 * Three agents, each with its own host id, state directory and projects (prefix `gdt-agent-`):
 *   A: webhooks (a replay dropped), Engine events, metrics, status and `sync --now` with the
 *      agent's token (unauthenticated, misdirected and cross-origin requests refused), a burst of pushes;
 *   B: its own Git server and an Engine proxy, both taken down and brought back;
 *   C: a local repository path (refs watched), a deny window, SIGHUP, SIGTERM during a rollout.
 * Every agent polls once an hour, so whatever happens within a test was done by its trigger.
 */
import { mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, dockerCli, removeProjects, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { rawRequest, sendPushWebhook, startAgent, startEngineProxy, type AgentProcess, type EngineProxy } from "./helpers/agent-process.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-agent-";
const SECRET = "agent-test-webhook-secret";
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), `${P}tmp-`));
  await writeFile(path.join(tmp, "webhook-secret"), `${SECRET}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await removeProjects(P);
  await rm(tmp, { recursive: true, force: true });
});

function compose(project: string, services: Record<string, { image: string; env?: string; monitor?: string }>): string {
  const lines = [`name: ${project}`, "services:"];
  for (const [name, s] of Object.entries(services)) {
    lines.push(`  ${name}:`, webService(s.image, s.env ? `    environment:\n      REV: "${s.env}"` : "", { monitor: s.monitor }));
  }
  return `${lines.join("\n")}\n`;
}

async function container(name: string, project: string) {
  return (await containersOf(project)).find((c) => c.name === name);
}

/** Resolves when `name` runs `commit` (bounded). */
async function runsCommit(name: string, project: string, commit: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const c = await container(name, project);
      return c?.state === "running" && c.labels["gitdock.commit"] === commit ? c : undefined;
    },
    { what: `${name} running ${commit.slice(0, 12)}`, timeoutMs },
  );
}

/** `docker stop` a managed container by hand; resolves with its replacement once that runs (bounded). */
async function stopAndAwaitRepair(name: string, project: string, what: string) {
  const before = (await container(name, project))?.id;
  await dockerCli(["stop", "-t", "1", name]);
  return waitFor(
    async () => {
      const c = await container(name, project);
      return c?.state === "running" && c.id !== before ? c : undefined;
    },
    { what },
  );
}

function triggersSeen(agent: AgentProcess): string[] {
  return agent
    .logs()
    .filter((l) => l["stage"] === "start")
    .map((l) => String(l["triggers"]));
}

function passesStarted(agent: AgentProcess): number {
  return triggersSeen(agent).length;
}

function sawTrigger(agent: AgentProcess, kind: string): boolean {
  return triggersSeen(agent).some((t) => t.split(", ").some((k) => k === kind || k.startsWith(`${kind} x`)));
}

/** Waits until no pass runs and none is asked for (the Engine events of the last one included). */
async function settled(agent: AgentProcess): Promise<void> {
  await waitFor(
    async () => {
      const a = (await agent.get("/status")).json().agent;
      return a.phase === "idle" && !a.pending;
    },
    { what: "the agent idle with nothing pending" },
  );
}

describe("agent A: webhooks, Engine events, metrics, status", () => {
  const PA = `${P}a-`;
  const SHOP = `${PA}shop`;
  let repo: ManifestRepo;
  let host: TestHost;
  let agent: AgentProcess;
  const commits: string[] = [];

  beforeAll(async () => {
    const { images } = testEnv();
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${PA}manifests`);
    host = await createTestHost({ prefix: PA, repo: repo.url });
    await repo.write("shop/compose.yaml", compose(SHOP, { web: { image: images["web-v1"] }, api: { image: images.sleeper } }));
    commits.push(await repo.commit("v1"));
    agent = await startAgent(host, repo.url, {
      args: ["--interval", "1h"],
      configFile: path.join(tmp, "a.yaml"),
      config: `agent:\n  webhook:\n    secret_file: ${path.join(tmp, "webhook-secret")}\n  backoff:\n    initial: 200ms\n    max: 2s\n  repair_budget:\n    max: 2\n    window: 1h\n`,
    });
    await runsCommit(`${SHOP}-web-1`, SHOP, commits[0]!);
    await waitFor(async () => (await agent.get("/readyz")).status === 200, { what: "agent A ready" });
  });

  afterAll(async () => {
    await agent?.stop("SIGTERM", 30_000);
    await host?.dispose();
    await repo?.dispose();
  });

  it("applies a push within seconds of its webhook, without waiting for the poll", async () => {
    await repo.write("shop/compose.yaml", compose(SHOP, { web: { image: testEnv().images["web-v2"] }, api: { image: testEnv().images.sleeper } }));
    const c2 = await repo.commit("web v2");
    commits.push(c2);
    const r = await sendPushWebhook(agent.base, { secret: SECRET, after: c2 });
    expect(r.status, r.body).toBe(202);
    const web = await runsCommit(`${SHOP}-web-1`, SHOP, c2);
    expect(web.image).toBe(testEnv().images["web-v2"]);
    expect(sawTrigger(agent, "webhook")).toBe(true);
    expect(sawTrigger(agent, "poll")).toBe(false);
  });

  it("a forged or unsigned webhook gets 401 and changes nothing", async () => {
    await repo.write("shop/compose.yaml", compose(SHOP, { web: { image: testEnv().images["web-v3"] }, api: { image: testEnv().images.sleeper } }));
    const c3 = await repo.commit("web v3");
    commits.push(c3);
    await settled(agent);
    const before = await host.ids(SHOP);
    const passes = passesStarted(agent);
    const forged = await sendPushWebhook(agent.base, { secret: "not-the-secret", after: c3 });
    expect(forged.status).toBe(401);
    expect(forged.body).not.toContain(c3);
    const unsigned = await sendPushWebhook(agent.base, { secret: SECRET, after: c3, signature: null });
    expect(unsigned.status).toBe(401);
    const otherBranch = await sendPushWebhook(agent.base, { secret: SECRET, after: c3, branch: "feature" });
    expect(otherBranch.status).toBe(200);
    expect(JSON.parse(otherBranch.body)).toMatchObject({ triggered: false });
    await agent.proc.waitForOutput(/webhook ignored/);
    // The three requests were answered; none of them started a pass or touched a container.
    expect(passesStarted(agent)).toBe(passes);
    expect(await host.ids(SHOP)).toEqual(before);
    expect(agent.proc.stderr()).not.toContain(SECRET);
    expect(agent.proc.stderr()).not.toContain('"ref"');
    // A correctly signed one is then applied: the agent was listening all along.
    expect((await sendPushWebhook(agent.base, { secret: SECRET, after: c3, delivery: "delivery-c3" })).status).toBe(202);
    await runsCommit(`${SHOP}-web-1`, SHOP, c3);
    // The same delivery again (a replay) is answered but triggers nothing.
    const replay = await sendPushWebhook(agent.base, { secret: SECRET, after: c3, delivery: "delivery-c3" });
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toEqual({ triggered: false, reason: expect.stringMatching(/^duplicate delivery delivery-c3: already received/) });
    await agent.proc.waitForOutput(/webhook replayed; nothing triggered/);
  });

  it("repairs a container stopped by hand and one removed by hand from Engine events, before any poll", async () => {
    const repairedApi = await stopAndAwaitRepair(`${SHOP}-api-1`, SHOP, "api-1 replaced and running after docker stop");
    expect(repairedApi.labels["gitdock.commit"]).toBe(commits.at(-1));

    // Let the repair pass end (it removes api-1's kept predecessor) before the next hand edit:
    // Engine 20.10 can fail two overlapping removals with "unable to remove filesystem".
    await settled(agent);
    await dockerCli(["rm", "-f", `${SHOP}-web-1`]);
    await runsCommit(`${SHOP}-web-1`, SHOP, commits.at(-1)!);
    expect(sawTrigger(agent, "docker-event")).toBe(true);
    expect(sawTrigger(agent, "poll")).toBe(false);
    await settled(agent);
    const m = await agent.metrics();
    expect(m.value("gitdock_drift_repairs_total", { reason: "not running" })).toBeGreaterThanOrEqual(1);
    expect(m.value("gitdock_drift_repairs_total", { reason: "missing" })).toBeGreaterThanOrEqual(1);
    const repairs = agent.logs().filter((l) => l["stage"] === "repair" && l["msg"] !== undefined && String(l["msg"]).startsWith("drift repaired"));
    expect(repairs.map((l) => [l["container"], l["reason"]])).toEqual(
      expect.arrayContaining([
        [`${SHOP}-api-1`, "not running"],
        [`${SHOP}-web-1`, "missing"],
      ]),
    );
  });

  it("/metrics shows the counters moving", async () => {
    await settled(agent);
    const before = await agent.metrics();
    const r = await host.run("sync", ["--now", "--listen", agent.listen]);
    expect(r.code, r.stderr).toBe(0);
    const after = await agent.metrics();
    expect(after.value("gitdock_reconciles_total", { result: "ok" })).toBe(before.value("gitdock_reconciles_total", { result: "ok" }) + 1);
    expect(after.value("gitdock_reconcile_duration_seconds_count")).toBe(before.value("gitdock_reconcile_duration_seconds_count") + 1);
    expect(after.value("gitdock_git_fetch_duration_seconds_count")).toBe(before.value("gitdock_git_fetch_duration_seconds_count") + 1);
    expect(after.value("gitdock_last_successful_reconcile_timestamp_seconds")).toBeGreaterThanOrEqual(
      before.value("gitdock_last_successful_reconcile_timestamp_seconds"),
    );
    expect(after.value("gitdock_applied_commit_info", { commit: commits.at(-1)! })).toBe(1);
    expect(after.value("gitdock_last_good_commit_info", { commit: commits.at(-1)! })).toBe(1);
    expect(after.value("gitdock_service_healthy", { stack: SHOP, service: "web" })).toBe(1);
    expect(after.value("gitdock_service_replicas", { stack: SHOP, service: "api" })).toBe(1);
    expect(after.value("gitdock_git_fetch_errors_total")).toBe(0);
    expect(after.has("process_resident_memory_bytes")).toBe(true);
  });

  it("gitdock sync --now and gitdock status talk to the running agent", async () => {
    await settled(agent);
    const sync = await host.run("sync", ["--now", "--listen", agent.listen]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toContain(`synced ${commits.at(-1)!.slice(0, 12)}: already in sync`);
    expect(triggersSeen(agent).at(-1)).toBe("manual");

    const status = await host.run("status", ["--json", "--listen", agent.listen]);
    expect(status.code, status.stderr).toBe(0);
    const viaCli = JSON.parse(status.stdout);
    const viaHttp = (await agent.get("/status")).json();
    expect(viaCli.agent.pid).toBe(agent.proc.child.pid);
    expect(viaCli.stacks).toEqual(viaHttp.stacks);
    expect(viaCli.lastGood.commit).toBe(commits.at(-1));
    expect(viaHttp.agent.lastPass.summary.outcome).toBe("synced");

    const text = await host.run("status", ["--listen", agent.listen]);
    expect(text.stdout).toMatch(/agent pid \d+ on 127\.0\.0\.1:\d+: idle/);
    // Without an agent at the address, status does the work itself.
    const local = await host.run("status", ["--json", "--listen", "127.0.0.1:1"]);
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout).agent).toBeUndefined();
  });

  it("POST /sync and GET /status need the token the agent wrote; a foreign Host or Origin is refused; /healthz names no path", async () => {
    await settled(agent);
    const tokenFile = path.join(host.stateDir, "agent.token");
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(host.stateDir)).mode & 0o777).toBe(0o700);
    const token = await agent.token();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const passes = passesStarted(agent);

    const bare = await rawRequest(agent.listen, { method: "POST", path: "/sync" });
    expect(bare.status).toBe(401);
    expect(JSON.parse(bare.body).error).toMatch(/Authorization: Bearer <token>.*agent\.token/);
    const wrong = await rawRequest(agent.listen, { method: "POST", path: "/sync", headers: { Authorization: `Bearer ${"0".repeat(64)}` } });
    expect(wrong.status).toBe(401);
    expect((await agent.get("/status", { auth: false })).status).toBe(401);
    // DNS rebinding (the page's own name as Host) and cross-site requests, even holding the token.
    const rebound = await rawRequest(agent.listen, { method: "POST", path: "/sync", headers: { Host: "evil.example:9380", Authorization: `Bearer ${token}` } });
    expect(rebound.status).toBe(421);
    const crossSite = await rawRequest(agent.listen, {
      method: "POST",
      path: "/sync",
      headers: { Origin: "https://evil.example", Authorization: `Bearer ${token}` },
    });
    expect(crossSite.status).toBe(403);
    const health = await agent.get("/healthz", { auth: false });
    expect(health.json()).toEqual({ status: "ok", hostId: host.hostId, phase: "idle" });
    expect(health.body).not.toContain(host.stateDir);
    await agent.proc.waitForOutput(/"status":403,"reason":"Origin https:\/\/evil\.example is not allowed"/);
    expect(passesStarted(agent)).toBe(passes);
    expect(agent.proc.stderr()).not.toContain(token);

    // The CLI reads the token itself.
    const sync = await host.run("sync", ["--now", "--listen", agent.listen]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(triggersSeen(agent).at(-1)).toBe("manual");
    expect(passesStarted(agent)).toBe(passes + 1);

    // Without a readable token file it says which file, and what to do.
    await rename(tokenFile, `${tokenFile}.away`);
    try {
      for (const command of ["status", "sync --now"]) {
        const noToken = await host.run(command, ["--listen", agent.listen]);
        expect(noToken.code, command).toBe(1);
        expect(noToken.stderr).toContain(`cannot read the agent's token ${tokenFile}: it does not exist`);
        expect(noToken.stderr).toMatch(/run this command as root.*--state-dir/);
      }
    } finally {
      await rename(`${tokenFile}.away`, tokenFile);
    }
    expect(passesStarted(agent)).toBe(passes + 1);
  });

  it("a burst of 20 pushes ends at the last commit with far fewer than 20 reconciles", async () => {
    const { images } = testEnv();
    await settled(agent);
    const before = (await agent.metrics()).value("gitdock_reconciles_total");
    const burst: string[] = [];
    const hooks: Promise<{ status: number }>[] = [];
    for (let i = 1; i <= 20; i++) {
      await repo.write("shop/compose.yaml", compose(SHOP, { web: { image: images["web-v3"], env: `burst-${i}` }, api: { image: images.sleeper } }));
      const sha = await repo.commit(`burst ${i}`);
      burst.push(sha);
      hooks.push(sendPushWebhook(agent.base, { secret: SECRET, after: sha }));
    }
    expect((await Promise.all(hooks)).map((h) => h.status)).toEqual(Array(20).fill(202));
    const last = burst.at(-1)!;
    await runsCommit(`${SHOP}-web-1`, SHOP, last, 60_000);
    await waitFor(
      async () => {
        const s = (await agent.get("/status")).json();
        return s.agent.phase === "idle" && s.agent.lastPass?.summary?.target === last && s.lastGood?.commit === last;
      },
      { what: "agent idle at the last commit of the burst", timeoutMs: 60_000 },
    );
    const reconciles = (await agent.metrics()).value("gitdock_reconciles_total") - before;
    console.info(`burst of 20 pushes: ${reconciles} reconcile(s)`);
    expect(reconciles).toBeGreaterThanOrEqual(1);
    expect(reconciles).toBeLessThan(10);
  });

  it("caps repairs per service: past its budget a container that keeps stopping is left alone and reported", async () => {
    const api = `${SHOP}-api-1`;
    // The burst applied new commits, so the budget (2 per hour here) is fresh.
    for (let i = 1; i <= 2; i++) {
      await stopAndAwaitRepair(api, SHOP, `repair ${i} of ${api}`);
      await settled(agent);
    }
    const id = (await container(api, SHOP))?.id;
    await dockerCli(["stop", "-t", "1", api]);
    await agent.proc.waitForOutput(new RegExp(`repair budget of ${SHOP}/api used up`));
    await settled(agent);
    const c = await container(api, SHOP);
    expect([c?.id, c?.state]).toEqual([id, "exited"]);
    const status = (await agent.get("/status")).json();
    expect(status.agent.suppressedRepairs).toEqual([`${SHOP}/api`]);
    expect(status.agent.lastPass.summary.suppressed).toEqual([`${SHOP}/api`]);
    expect((await agent.metrics()).value("gitdock_repairs_suppressed_total", { stack: SHOP, service: "api" })).toBeGreaterThanOrEqual(1);
    // Other services are still repaired.
    await stopAndAwaitRepair(`${SHOP}-web-1`, SHOP, "web-1 repaired while api is suppressed");
  });
});

describe("agent B: the Git server and the Engine going away and coming back", () => {
  const PB = `${P}b-`;
  const APP = `${PB}app`;
  let server: GitServer;
  let gitRoot: string;
  let repo: ManifestRepo;
  let host: TestHost;
  let proxy: EngineProxy;
  let agent: AgentProcess;
  let commit: string;

  beforeAll(async () => {
    gitRoot = await mkdtemp(path.join(os.tmpdir(), `${PB}git-`));
    server = await startGitServer(gitRoot);
    repo = await createManifestRepo({ url: server.url, root: gitRoot }, `${PB}manifests`);
    host = await createTestHost({ prefix: PB, repo: repo.url });
    proxy = await startEngineProxy(path.join(tmp, "engine.sock"));
    await repo.write("app/compose.yaml", compose(APP, { web: { image: testEnv().images["web-v1"] } }));
    commit = await repo.commit("v1");
    agent = await startAgent(host, repo.url, {
      args: ["--interval", "1h", "--docker-host", proxy.dockerHost],
      configFile: path.join(tmp, "b.yaml"),
      config: `agent:\n  webhook:\n    secret_file: ${path.join(tmp, "webhook-secret")}\n  backoff:\n    initial: 200ms\n    max: 2s\n`,
    });
    await runsCommit(`${APP}-web-1`, APP, commit);
  });

  afterAll(async () => {
    await agent?.stop("SIGTERM", 30_000);
    await proxy?.stop();
    await server?.close();
    await host?.dispose();
    await repo?.dispose();
    await rm(gitRoot, { recursive: true, force: true });
  });

  it("survives the Git server going down and applies the commit once it is back", async () => {
    const before = await host.ids(APP);
    server.setDown(true);
    await repo.write("app/compose.yaml", compose(APP, { web: { image: testEnv().images["web-v2"] } }));
    commit = await repo.commit("v2 while the Git server is down");
    expect((await sendPushWebhook(agent.base, { secret: SECRET, after: commit })).status).toBe(202);
    try {
      // A pass counts its fetch error before its result: wait for both of the second failed pass.
      await waitFor(
        async () => {
          const m = await agent.metrics();
          return m.value("gitdock_git_fetch_errors_total") >= 2 && m.value("gitdock_reconciles_total", { result: "error" }) >= 2;
        },
        { what: "failed fetches and passes, retried with backoff" },
      );
      const m = await agent.metrics();
      expect(m.value("gitdock_git_fetch_errors_total")).toBeGreaterThanOrEqual(2);
      expect(m.value("gitdock_reconciles_total", { result: "error" })).toBeGreaterThanOrEqual(2);
      expect((await agent.get("/healthz")).status).toBe(200);
      expect((await agent.get("/readyz")).status).toBe(503);
      expect(await host.ids(APP)).toEqual(before);
      expect((await containersOf(APP)).every((c) => c.state === "running")).toBe(true);
    } finally {
      // The next test needs the Git server whatever happened here.
      server.setDown(false);
    }

    // No new trigger: the backoff retry finds the server again.
    await runsCommit(`${APP}-web-1`, APP, commit);
    await waitFor(async () => (await agent.get("/readyz")).status === 200, { what: "ready again" });
    expect(sawTrigger(agent, "retry")).toBe(true);
  });

  it("survives the Engine becoming unreachable and repairs what changed meanwhile once it is back", async () => {
    const errorsBefore = (await agent.metrics()).value("gitdock_reconciles_total", { result: "error" });
    await proxy.stop();
    await agent.proc.waitForOutput(/Engine event stream lost/);
    // While the agent cannot see the Engine: a container is removed and a new commit is pushed.
    await dockerCli(["rm", "-f", `${APP}-web-1`]);
    await repo.write("app/compose.yaml", compose(APP, { web: { image: testEnv().images["web-v3"] } }));
    commit = await repo.commit("v3 while the Engine is unreachable");
    expect((await sendPushWebhook(agent.base, { secret: SECRET, after: commit })).status).toBe(202);
    await waitFor(async () => (await agent.metrics()).value("gitdock_reconciles_total", { result: "error" }) >= errorsBefore + 2, {
      what: "passes failing while the Engine is unreachable",
    });
    expect(agent.logs().some((l) => l["err"] !== undefined && JSON.stringify(l["err"]).includes("GITDOCK_E_ENGINE_UNAVAILABLE"))).toBe(true);
    expect((await agent.get("/healthz")).status).toBe(200);
    expect(agent.proc.child.exitCode).toBeNull();

    await proxy.start();
    await runsCommit(`${APP}-web-1`, APP, commit);
    await agent.proc.waitForOutput(/Engine event stream reconnected/);
    // Events flow again: a stop is repaired at once.
    await stopAndAwaitRepair(`${APP}-web-1`, APP, "web-1 repaired after the Engine came back");
  });
});

describe("agent C: local repository, sync windows, SIGHUP, SIGTERM", () => {
  const PC = `${P}c-`;
  const SITE = `${PC}site`;
  let repo: ManifestRepo;
  let host: TestHost;
  let agent: AgentProcess;
  let configFile: string;
  const commits: string[] = [];
  const baseConfig = "agent:\n  backoff:\n    initial: 200ms\n    max: 2s\n";
  const denyAlways = `${baseConfig}  sync_windows:\n    - kind: deny\n      schedule: "* * * * *"\n      duration: 1h\n`;

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${PC}manifests`);
    // The agent reads the bare repository in place: its refs are watched, there is no webhook.
    host = await createTestHost({ prefix: PC, repo: repo.bareDir });
    configFile = path.join(tmp, "c.yaml");
    await repo.write("site/compose.yaml", compose(SITE, { web: { image: testEnv().images["web-v1"] } }));
    commits.push(await repo.commit("v1"));
    agent = await startAgent(host, repo.bareDir, { args: ["--interval", "1h", "--shutdown-timeout", "1s"], configFile, config: baseConfig });
    await runsCommit(`${SITE}-web-1`, SITE, commits[0]!);
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await host?.dispose();
    await repo?.dispose();
  });

  it("applies a commit pushed to a local repository path from its refs changing", async () => {
    await repo.write("site/compose.yaml", compose(SITE, { web: { image: testEnv().images["web-v2"] } }));
    commits.push(await repo.commit("v2"));
    await runsCommit(`${SITE}-web-1`, SITE, commits[1]!);
    expect(sawTrigger(agent, "repo-change")).toBe(true);
  });

  it("SIGHUP reloads the config; a deny window holds a new commit back as waiting, and drift repair goes on", async () => {
    await writeFile(configFile, denyAlways);
    agent.proc.child.kill("SIGHUP");
    await agent.proc.waitForOutput(/"windows":1,"msg":"config reloaded"/);

    await repo.write("site/compose.yaml", compose(SITE, { web: { image: testEnv().images["web-v3"] } }));
    const c3 = await repo.commit("v3 during a deny window");
    commits.push(c3);
    const status = await waitFor(
      async () => {
        const s = (await agent.get("/status")).json();
        return s.agent.waitingCommit === c3 && s.agent.phase === "idle" ? s : undefined;
      },
      { what: "the new commit reported as waiting" },
    );
    expect(status.agent.windows).toMatchObject({ newCommits: "waiting", driftRepair: true });
    expect(status.agent.lastPass.summary).toMatchObject({ outcome: "waiting", target: c3, commit: commits[1] });
    expect((await agent.metrics()).value("gitdock_reconciles_total", { result: "waiting" })).toBeGreaterThanOrEqual(1);
    expect((await agent.get("/readyz")).status).toBe(200);
    expect((await container(`${SITE}-web-1`, SITE))?.labels["gitdock.commit"]).toBe(commits[1]);

    // A manual sync is held back too (the window has no manual_sync): exit 5, "waiting".
    const sync = await host.run("sync", ["--now", "--listen", agent.listen]);
    expect(sync.code, sync.stderr).toBe(5);
    expect(sync.stdout).toContain(`waiting ${c3.slice(0, 12)}: the host stays at ${commits[1]!.slice(0, 12)}`);

    // Drift repair toward the running commit still works.
    const repaired = await stopAndAwaitRepair(`${SITE}-web-1`, SITE, "web-1 repaired during the deny window");
    expect(repaired.labels["gitdock.commit"]).toBe(commits[1]);
    expect(repaired.image).toBe(testEnv().images["web-v2"]);

    // SIGHUP with the window gone: the waiting commit goes out.
    await writeFile(configFile, baseConfig);
    agent.proc.child.kill("SIGHUP");
    await runsCommit(`${SITE}-web-1`, SITE, c3);
    expect(sawTrigger(agent, "reload")).toBe(true);
  });

  it("a deny window with manual_sync lets the authenticated manual sync through, and nothing else", async () => {
    const reloads = () => triggersSeen(agent).filter((t) => t.includes("reload")).length;
    const reloadAndSettle = async (config: string) => {
      const before = reloads();
      await writeFile(configFile, config);
      agent.proc.child.kill("SIGHUP");
      await waitFor(async () => reloads() > before, { what: "the reload's pass" });
      await settled(agent);
    };
    await reloadAndSettle(`${denyAlways}      manual_sync: true\n`);
    const held = commits.at(-1)!;
    await repo.write("site/compose.yaml", compose(SITE, { web: { image: testEnv().images["web-v2"] } }));
    const c5 = await repo.commit("v5 during a deny window that allows manual syncs");
    // The refs watcher's pass is not manual: the commit waits.
    await waitFor(
      async () => {
        const a = (await agent.get("/status")).json().agent;
        return a.waitingCommit === c5 && a.phase === "idle" && !a.pending;
      },
      { what: "the new commit waiting for the window" },
    );
    // Without the token, POST /sync is refused before it can ask for a pass.
    const passes = passesStarted(agent);
    expect((await rawRequest(agent.listen, { method: "POST", path: "/sync" })).status).toBe(401);
    expect(passesStarted(agent)).toBe(passes);
    expect((await container(`${SITE}-web-1`, SITE))?.labels["gitdock.commit"]).toBe(held);
    // `gitdock sync --now` reads the token: its pass is manual and goes through the window.
    const sync = await host.run("sync", ["--now", "--listen", agent.listen]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toContain(`synced ${c5.slice(0, 12)}`);
    await runsCommit(`${SITE}-web-1`, SITE, c5);
    commits.push(c5);
    await reloadAndSettle(baseConfig);
  });

  it("SIGTERM during a rollout rolls it back within the shutdown timeout, leaves a consistent host and exits 0", async () => {
    const previous = commits.at(-1)!;
    const before = await container(`${SITE}-web-1`, SITE);
    // A gate that would watch the new container for a minute: SIGTERM lands in the middle of it.
    await repo.write("site/compose.yaml", compose(SITE, { web: { image: testEnv().images["web-v1"], monitor: "60s" } }));
    const slow = await repo.commit("v4 with a long health gate");
    await waitFor(
      async () => (await containersOf(SITE)).some((c) => c.name === `${SITE}-web-1` && c.labels["gitdock.commit"] === slow && c.state === "running"),
      { what: "the new release's container in its health gate" },
    );
    const exit = await agent.stop("SIGTERM", 60_000);
    expect(exit.signal).toBeNull();
    expect(exit.code, exit.stderr.slice(-3000)).toBe(0);
    expect(exit.stderr).toContain("shutdown timeout passed");

    const site = await containersOf(SITE);
    expect(site.map((c) => [c.name, c.state, c.labels["gitdock.commit"]])).toEqual([[`${SITE}-web-1`, "running", previous]]);
    expect(site[0]!.id).toBe(before?.id);
    const status = JSON.parse((await host.run("status", ["--json", "--listen", "127.0.0.1:1"])).stdout);
    expect(status.rollout).toBeUndefined();
    expect(status.lastGood.commit).toBe(previous);
    // Interrupted by shutdown, not failed: the next start applies it.
    expect(Object.keys(status.failed)).not.toContain(slow);
    const state = JSON.parse(await readFile(path.join(host.stateDir, "state.json"), "utf8"));
    expect(state.rollout ?? undefined).toBeUndefined();
  });
});
