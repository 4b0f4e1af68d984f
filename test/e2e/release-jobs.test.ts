/**
 * Release jobs (`x-gitdock.job`) and one-shot services (`service_completed_successfully`) on the
 * real Engine, registry and Git server: a failing pre-deploy job changes nothing, a failing
 * post-deploy job rolls the release back, a one-shot dependency completes and its dependents start
 * (and it is not "repaired" afterwards), and a job cut short by a SIGKILL of the agent runs again
 * while a finished one does not. Every job counts its runs in a named volume.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, dockerCli, removeProjects, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { readJournal } from "../support/journal.js";
import { startAgent, type AgentProcess } from "./helpers/agent-process.js";
import { createTestHost, servedBy, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-jobs-";

// The stacks' `runs` volumes are `<project>_runs`: the file's prefix covers them (a test host's only its containers).
beforeAll(() => removeProjects(P));
afterAll(() => removeProjects(P));

const journal = (host: TestHost) => readJournal(host.stateDir);

const jobRuns = async (host: TestHost, commit: string, service: string) =>
  (await journal(host)).filter((e) => e.action === "job" && e.commit === commit && e.service === service).map((e) => e.outcome);

/** A job (the sleeper image) that appends a line to /runs/<counter> in the stack's `runs` volume, then runs `then`. */
function job(phase: "pre-deploy" | "post-deploy", counter: string, then: string, extra: string[] = []): string {
  return [
    `    image: ${testEnv().images.sleeper}`,
    `    command: ["sh", "-c", "echo run >> /runs/${counter}; ${then}"]`,
    "    volumes: [runs:/runs]",
    "    init: true",
    "    stop_grace_period: 1s",
    "    x-gitdock:",
    `      job: ${phase}`,
    ...extra,
  ].join("\n");
}

function stackFile(project: string, services: Record<string, string>): string {
  const body = Object.entries(services)
    .map(([name, text]) => `  ${name}:\n${text}`)
    .join("\n");
  return `name: ${project}\nservices:\n${body}\nvolumes:\n  runs: {}\n`;
}

/** How many times a job appended to its counter in the stack's volume. */
async function runsCounted(project: string, counter: string): Promise<number> {
  const out = await dockerCli(["run", "--rm", "-v", `${project}_runs:/runs`, testEnv().images.sleeper, "sh", "-c", `cat /runs/${counter} 2>/dev/null || true`]);
  return out.split("\n").filter((l) => l === "run").length;
}

function setup(name: string) {
  const project = `${P}${name}`;
  const at = {} as { repo: ManifestRepo; host: TestHost; project: string };
  at.project = project;
  beforeAll(async () => {
    at.repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, project);
    at.host = await createTestHost({ prefix: `${project}-`, repo: at.repo.url });
  });
  afterAll(async () => {
    await at.host?.dispose();
    await at.repo?.dispose();
  });
  return at;
}

describe("pre-deploy and post-deploy jobs", () => {
  const at = setup("rel");
  const web = (image: string) => webService(image);
  let v1: string;
  let idsAtV1: Record<string, string>;

  it("runs the pre-deploy job before the release, once, and keeps its output on the host", async () => {
    const { images } = testEnv();
    await at.repo.write("app/compose.yaml", stackFile(at.project, { web: web(images["web-v1"]), migrate: job("pre-deploy", "migrate", "echo migrated-v1") }));
    v1 = await at.repo.commit("v1");
    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v1");
    expect(await runsCounted(at.project, "migrate")).toBe(1);
    expect(await jobRuns(at.host, v1, "migrate")).toEqual(["started", "ok"]);
    const done = (await journal(at.host)).find((e) => e.action === "job" && e.outcome === "ok");
    expect(done?.data).toEqual({ phase: "pre-deploy", exitCode: 0 });
    expect(done?.durationMs).toBeGreaterThan(0);
    const output = await readFile(path.join(at.host.stateDir, "jobs", at.project, "migrate.log"), "utf8");
    expect(output).toMatch(/^# pre-deploy job gdt-jobs-rel\/migrate, commit [0-9a-f]{40}, .*: exited 0 after \d+ ms\n/);
    expect(output).toContain("migrated-v1");
    // The job's last run is kept, exited 0, and a sync of the same commit neither runs it again nor plans anything.
    const kept = (await containersOf(at.project)).find((c) => c.name === `${at.project}-migrate-1`);
    expect(kept?.state).toBe("exited");
    const again = await at.host.run("plan", ["--detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);
    idsAtV1 = await at.host.ids(at.project);
  });

  it("a failing pre-deploy job fails the commit with nothing replaced; its output stays on the host only", async () => {
    const { images } = testEnv();
    await at.repo.write(
      "app/compose.yaml",
      stackFile(at.project, { web: web(images["web-v2"]), migrate: job("pre-deploy", "migrate", "echo migration-broke; exit 3") }),
    );
    const bad = await at.repo.commit("v2 with a broken migration");
    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain(`pre-deploy job ${at.project}/migrate failed: ${at.project}-migrate-1: completion: exited with code 3`);
    expect(r.stdout).toContain("the host is back at its last good commit");
    // Nothing was replaced: the same containers (the web and the job's last good run) serve v1.
    expect(await at.host.ids(at.project)).toEqual(idsAtV1);
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v1");
    expect(await runsCounted(at.project, "migrate")).toBe(2);
    const failed = (await journal(at.host)).filter((e) => e.commit === bad && e.action === "job");
    expect(failed.map((e) => e.outcome)).toEqual(["started", "failed"]);
    expect(failed[1]?.data).toEqual({
      phase: "pre-deploy",
      exitCode: 3,
      error: `pre-deploy job ${at.project}/migrate failed: ${at.project}-migrate-1: completion: exited with code 3`,
    });
    // The container's words are in the job's file, never in the journal or the commit's reason.
    expect(await readFile(path.join(at.host.stateDir, "jobs", at.project, "migrate.log"), "utf8")).toContain("migration-broke");
    expect(await readFile(path.join(at.host.stateDir, "journal.jsonl"), "utf8")).not.toContain("migration-broke");
    const status = JSON.parse((await at.host.run("status", ["--json"])).stdout);
    expect(status.failed[bad].reason).toMatch(/^health gate failed|^pre-deploy job/);
    expect(status.failed[bad].reason).not.toContain("migration-broke");
    // The failed-commit rule: the next sync keeps the host where it is.
    const held = await at.host.run("sync");
    expect(held.code).toBe(3);
    expect(await runsCounted(at.project, "migrate")).toBe(2);
  });

  it("a failing post-deploy job rolls the release back", async () => {
    const { images } = testEnv();
    await at.repo.write(
      "app/compose.yaml",
      stackFile(at.project, { web: web(images["web-v3"]), migrate: job("pre-deploy", "migrate", "true"), smoke: job("post-deploy", "smoke", "exit 4") }),
    );
    const bad = await at.repo.commit("v3 whose smoke test fails");
    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain(`post-deploy job ${at.project}/smoke failed`);
    // web-v3 went live before the smoke test and is rolled back to the kept v1 container.
    expect((await at.host.ids(at.project))[`${at.project}-web-1`]).toBe(idsAtV1[`${at.project}-web-1`]);
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v1");
    expect(await jobRuns(at.host, bad, "migrate")).toEqual(["started", "ok"]);
    expect(await jobRuns(at.host, bad, "smoke")).toEqual(["started", "failed"]);
    const names = (await containersOf(at.project)).map((c) => c.name).sort();
    expect(names).toEqual([`${at.project}-migrate-1`, `${at.project}-web-1`]);
  });

  it("a job still running after its job_timeout is stopped and fails the commit", async () => {
    const { images } = testEnv();
    await at.repo.write(
      "app/compose.yaml",
      stackFile(at.project, { web: web(images["web-v2"]), migrate: job("pre-deploy", "slow", "sleep 60", ["      job_timeout: 2s"]) }),
    );
    const bad = await at.repo.commit("a migration that hangs");
    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain(`pre-deploy job ${at.project}/migrate failed: ${at.project}-migrate-1: timeout: still running after 2s`);
    expect(await jobRuns(at.host, bad, "migrate")).toEqual(["started", "failed"]);
    // Stopped and set aside: the last good run is back under the job's name, and v1 still serves.
    expect(await at.host.ids(at.project)).toEqual(idsAtV1);
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v1");
  });
});

describe("one-shot services others wait for with service_completed_successfully", () => {
  const at = setup("once");
  const init = (then: string) =>
    [`    image: ${testEnv().images.sleeper}`, `    command: ["sh", "-c", "echo run >> /runs/init; ${then}"]`, "    volumes: [runs:/runs]"].join("\n");
  const web = () => `${webService(testEnv().images["web-v1"])}\n    depends_on:\n      init: {condition: service_completed_successfully}`;

  it("a first apply whose one-shot fails removes what it created and says there was no good commit", async () => {
    await at.repo.write("app/compose.yaml", stackFile(at.project, { init: init("exit 2"), web: web() }));
    await at.repo.commit("a broken init");
    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain("this host had no good commit to go back to");
    expect(r.stdout).not.toContain("back at its last good commit");
    expect(r.stdout).toContain(`${at.project}-init-1: completion: exited with code 2`);
    expect(await containersOf(at.project)).toEqual([]);
  });

  it("the one-shot completes, its dependent starts, and the exited one-shot is not repaired", async () => {
    await at.repo.write("app/compose.yaml", stackFile(at.project, { init: init("exit 0"), web: web() }));
    await at.repo.commit("init fixed");
    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const states = Object.fromEntries((await containersOf(at.project)).map((c) => [c.name, c.state]));
    expect(states).toEqual({ [`${at.project}-init-1`]: "exited", [`${at.project}-web-1`]: "running" });
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v1");
    const plan = await at.host.run("plan", ["--detailed-exitcode"]);
    expect(plan.code, plan.stdout).toBe(0);
    const ids = await at.host.ids(at.project);
    expect((await at.host.run("sync")).code).toBe(0);
    expect(await at.host.ids(at.project)).toEqual(ids);
    expect(await runsCounted(at.project, "init")).toBe(2);
    const status = JSON.parse((await at.host.run("status", ["--json"])).stdout);
    const initStatus = status.stacks[0].services.find((s: { service: string }) => s.service === "init");
    expect(initStatus.health).toBe("healthy");
  });
});

describe("a job cut short by a crash of the agent runs again; a finished one does not", () => {
  const at = setup("kill");
  let agent: AgentProcess | undefined;
  afterAll(async () => {
    await agent?.stop("SIGKILL", 5_000);
  });

  const startedJob = (a: AgentProcess, container: string, from: number) =>
    waitFor(
      () =>
        a
          .logs()
          .slice(from)
          .some((l) => l["container"] === container && String(l["msg"]).startsWith("started the pre-deploy job")),
      {
        what: `${container} started by the agent`,
        timeoutMs: 60_000,
      },
    );

  async function restartAgent(): Promise<AgentProcess> {
    await agent?.stop("SIGKILL", 5_000);
    agent = await startAgent(at.host, at.repo.url, { args: ["--interval", "1h"] });
    return agent;
  }

  async function appliedGood(commit: string): Promise<void> {
    await waitFor(
      async () => {
        const r = await at.host.run("status", ["--json"]);
        return r.code === 0 && JSON.parse(r.stdout).lastGood?.commit === commit;
      },
      { what: `${commit.slice(0, 12)} recorded good`, timeoutMs: 90_000 },
    );
  }

  it("SIGKILL while the job sleeps: the next pass undoes its run and runs it again", async () => {
    const { images } = testEnv();
    await at.repo.write("app/compose.yaml", stackFile(at.project, { web: webService(images["web-v1"]), migrate: job("pre-deploy", "slow", "sleep 4") }));
    const commit = await at.repo.commit("a slow migration");
    const first = await restartAgent();
    await startedJob(first, `${at.project}-migrate-1`, 0);
    await first.stop("SIGKILL", 5_000);
    expect(await jobRuns(at.host, commit, "migrate")).toEqual(["started"]);

    await restartAgent();
    await appliedGood(commit);
    expect(await jobRuns(at.host, commit, "migrate")).toEqual(["started", "started", "ok"]);
    // The container of the cut-short run was removed by the recovery before the second run began.
    expect(await runsCounted(at.project, "slow")).toBe(2);
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v1");
  });

  it("SIGKILL after the job finished, during a later gate: the job is not run again", async () => {
    const { images } = testEnv();
    const slowWeb = webService(
      images["web-v2"],
      `    command: ["sh", "-c", "sleep 4; exec httpd -f -p 8080 -h /www"]\n    x-gitdock:\n      probe:\n        http: {port: 8080, path: /healthz}\n      health_timeout: 30s`,
    );
    await at.repo.write("app/compose.yaml", stackFile(at.project, { web: slowWeb, migrate: job("pre-deploy", "quick", "true") }));
    const commit = await at.repo.commit("a quick migration, then a slow web");
    const a = await restartAgent();
    await waitFor(() => a.logs().some((l) => l["container"] === `${at.project}-web-1` && l["step"] === "started"), {
      what: "web started after the job",
      timeoutMs: 60_000,
    });
    expect(await jobRuns(at.host, commit, "migrate")).toEqual(["started", "ok"]);
    await a.stop("SIGKILL", 5_000);

    await restartAgent();
    await appliedGood(commit);
    expect(await jobRuns(at.host, commit, "migrate")).toEqual(["started", "ok"]);
    expect(await runsCounted(at.project, "quick")).toBe(1);
    expect(await servedBy(`${at.project}-web-1`)).toBe("web-v2");
  });
});
