/**
 * Compose files as projects write them, against the real Engine, registry and Git server: an app
 * with `.env` defaults in the repository and a host variables file that overrides one of them (the
 * container gets the host's value, which appears in no log line, label, journal line, state file,
 * plan or `docker inspect` label: only in the container's Env), a value passed through from the
 * host file, an override file whose setting reaches the container, and a profile this host does
 * not activate, whose service is not deployed. Then a variable nobody set (the host must act: the
 * pass fails and is retried, the commit is not rejected) and a policy violation built from a host
 * value (rejected, the value in no record). `gitdock validate` on the same files, without and with
 * the host's values. One scenario, in order.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { listFiles } from "../support/files.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGitdock, type RunResult } from "../support/cli.js";
import { dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const execFileP = promisify(execFile);
const P = "gdt-cl-";
const APP = `${P}app`;
const WEB = `${APP}-web-1`;
const DIR = `hosts/h1/${APP}`;
/** The host's secret, overriding the repository's default. */
const HOST_SECRET = `host-secret-${randomBytes(8).toString("hex")}`;
/** Passed through with `environment: {PASSED: }`. */
const HOST_PASSED = `host-passed-${randomBytes(8).toString("hex")}`;
/** A host port the policy does not allow, built from a host variable. */
const HOST_PORT = String(20_000 + (randomBytes(2).readUInt16BE() % 9_000));
const PLANTED = [HOST_SECRET, HOST_PASSED];

let tmp: string;
let varsDir: string;
let config: string;
let repo: ManifestRepo;
let host: TestHost;
const outputs: RunResult[] = [];
const commits: Record<string, string> = {};

function compose(more = ""): string {
  const web = webService(
    testEnv().images["web-v1"],
    [
      "    environment:",
      "      GREETING: ${GREETING}",
      "      DB_PASSWORD: ${DB_PASSWORD:?the database password}",
      "      LEVEL: ${LEVEL:-info}",
      "      PASSED:",
      "    labels:",
      "      release: base",
      more,
    ]
      .filter(Boolean)
      .join("\n"),
  );
  const debug = webService(testEnv().images["web-v1"], "    profiles: [debug]");
  return `services:\n  web:\n${web}\n  debug:\n${debug}\n`;
}

const OVERRIDE = `services:
  web:
    labels:
      release: from-override
    environment:
      OVERRIDE_MARK: merged
`;

async function run(command: string, extra: string[] = []): Promise<RunResult> {
  const r = await host.run(command, ["--config", config, ...extra]);
  outputs.push(r);
  return r;
}

async function containerEnv(name: string): Promise<Record<string, string>> {
  const info = await dockerClient().getContainer(name).inspect();
  return Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

function expectNothingPlanted(text: string, where: string, values = PLANTED): void {
  for (const value of values) expect(text.includes(value), `${where} holds the host's value ${value}`).toBe(false);
}

async function writeHostVariables(lines: string[]): Promise<void> {
  await writeFile(path.join(varsDir, `${APP}.env`), `${lines.join("\n")}\n`, { mode: 0o600 });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), `${P}tmp-`));
  varsDir = path.join(tmp, "env");
  await mkdir(varsDir);
  await writeHostVariables([`DB_PASSWORD=${HOST_SECRET}`, `PASSED=${HOST_PASSED}`]);
  config = path.join(tmp, "config.yaml");
  await writeFile(
    config,
    ["manifest:", `  variables_dir: ${varsDir}`, "security:", "  policy:", `    env_file_roots: [${varsDir}]`, '    published_ports: ["8000-8999"]', ""].join(
      "\n",
    ),
  );
  const env = testEnv();
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1" });
}, 180_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("Compose files with variables, an override file and profiles, on a real host", () => {
  it("validates in a pull request without the host's values: warns where the host must set one, exit 0", async () => {
    await repo.write(`${DIR}/compose.yaml`, compose());
    await repo.write(`${DIR}/.env`, "GREETING=hello-from-repo\nDB_PASSWORD=\n");
    await repo.write(`${DIR}/compose.override.yaml`, OVERRIDE);
    const r = await runGitdock(["validate", path.join(repo.workDir, "hosts/h1")]);
    outputs.push(r);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: 1 stack\(s\) valid, 1 warning\(s\)/);
    expect(r.stderr).toMatch(
      /compose\.yaml:\d+:\d+: services\.web\.environment\.DB_PASSWORD: warning: variable DB_PASSWORD is empty in .*\/\.env: the host must set it in \/etc\/gitdock\/env\/gdt-cl-app\.env/,
    );
    const strict = await runGitdock(["validate", "--strict", path.join(repo.workDir, "hosts/h1")]);
    expect(strict.code).toBe(1);
    const withValues = path.join(tmp, "ci.env");
    await writeFile(withValues, "DB_PASSWORD=ci-placeholder\n");
    const given = await runGitdock(["validate", "--strict", "--env-file", withValues, path.join(repo.workDir, "hosts/h1")]);
    expect(given.code, given.stderr).toBe(0);
  });

  it("deploys with the host's value over the repository's default, the override file merged, the profile left out", async () => {
    commits["base"] = await repo.commit("app with .env defaults, an override file and a debug profile");
    const r = await run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const env = await containerEnv(WEB);
    expect(env).toMatchObject({ GREETING: "hello-from-repo", DB_PASSWORD: HOST_SECRET, LEVEL: "info", PASSED: HOST_PASSED, OVERRIDE_MARK: "merged" });
    const info = await dockerClient().getContainer(WEB).inspect();
    expect(info.Config.Labels?.["release"]).toBe("from-override");
    const names = (await dockerClient().listContainers({ all: true })).flatMap((c) => c.Names.map((n) => n.replace(/^\//, "")));
    expect(names).toContain(WEB);
    expect(names.some((n) => n.startsWith(`${APP}-debug`))).toBe(false);
  });

  it("shows the host's values nowhere but the container's Env", async () => {
    for (const format of [[], ["--json"]]) outputs.push(await run("plan", format));
    outputs.push(await run("status", ["--json"]));
    outputs.push(await run("history"));
    for (const r of outputs) expectNothingPlanted(r.stdout + r.stderr, "CLI output");
    for (const file of await listFiles(host.stateDir)) expectNothingPlanted(await readFile(file, "latin1"), file);
    const docker = dockerClient();
    for (const c of await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${APP}`] } })) {
      const info = await docker.getContainer(c.Id).inspect();
      expectNothingPlanted(JSON.stringify(info.Config.Labels), `labels of ${c.Names[0]}`);
    }
    for (const n of await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${APP}`] } })) {
      expectNothingPlanted(JSON.stringify((await docker.getNetwork(n.Id).inspect()).Labels), `labels of network ${n.Name}`);
    }
    // The one place they are: the container's environment.
    const { stdout } = await execFileP("docker", ["exec", WEB, "sh", "-c", "echo $DB_PASSWORD $PASSED"]);
    expect(stdout.trim()).toBe(`${HOST_SECRET} ${HOST_PASSED}`);
  });

  it("fails the pass, for the host to act, while a variable nobody set is missing; then applies once the host sets it", async () => {
    await repo.write(`${DIR}/compose.override.yaml`, `${OVERRIDE}      API_KEY: \${API_KEY}\n`);
    commits["needs-key"] = await repo.commit("needs API_KEY from the host");
    const r = await run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `compose.override.yaml:7:16: services.web.environment.API_KEY: variable API_KEY is not set: set it on the host in ${varsDir}/${APP}.env`,
    );
    const state = JSON.parse(await readFile(path.join(host.stateDir, "state.json"), "utf8")) as { rejected: Record<string, unknown> };
    expect(state.rejected[commits["needs-key"]]).toBeUndefined();

    const key = `host-key-${randomBytes(6).toString("hex")}`;
    PLANTED.push(key);
    await writeHostVariables([`DB_PASSWORD=${HOST_SECRET}`, `PASSED=${HOST_PASSED}`, `API_KEY=${key}`]);
    const again = await run("sync");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await containerEnv(WEB))["API_KEY"]).toBe(key);
  });

  it("rejects a port built from a host value that the policy refuses, and records no value", async () => {
    await writeHostVariables([`DB_PASSWORD=${HOST_SECRET}`, `PASSED=${HOST_PASSED}`, `API_KEY=${PLANTED[2]}`, `HOST_PORT=${HOST_PORT}`]);
    await repo.write(`${DIR}/compose.yaml`, compose(`    ports: ["\${HOST_PORT}:8080"]`));
    commits["port"] = await repo.commit("publish a port the host chooses");
    const r = await run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/published_ports|not allowed|HOST_PORT/);
    const records = [
      await readFile(path.join(host.stateDir, "state.json"), "utf8"),
      await readFile(path.join(host.stateDir, "journal.jsonl"), "utf8"),
      r.stdout,
      r.stderr,
    ];
    // The port's digits standing alone (not inside a hash, a time or another number).
    const port = new RegExp(`(?<![0-9a-f])${HOST_PORT}(?![0-9a-f])`);
    for (const text of records) expect(port.test(text), text.slice(0, 2000)).toBe(false);
    expect(records[0]).toContain("${HOST_PORT}");
  });

  it("left nothing of the host's values in any output or record of the scenario", async () => {
    for (const r of outputs) expectNothingPlanted(r.stdout + r.stderr, "CLI output");
    for (const file of await listFiles(host.stateDir)) expectNothingPlanted(await readFile(file, "latin1"), file);
  });
});
