/**
 * Encrypted secrets from Git on the real Engine, through a real Git server: a database whose
 * password comes from a SOPS dotenv file and a web server whose TLS key is an age file (made with
 * the real `age`), decrypted on the host in memory with its age identity, the key written to a
 * tmpfs and mounted read-only. Then: re-encrypting the same values changes nothing, a changed value
 * replaces only the service that uses it, a file for another key is rejected with nothing changed
 * (naming the recipients), a reboot's empty tmpfs is made again, `status` says what each service
 * decrypts, and no plaintext is anywhere but the container's own environment and the tmpfs.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGitdock, type RunResult } from "../support/cli.js";
import { dockerCli, dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { encodeSops, treeOf } from "../support/sops-encoder.js";
import { ageEncrypt, ageKeygen } from "../unit/helpers/age-keys.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const run$ = promisify(execFile);
const P = "gdt-sops-";
const APP = `${P}app`;
const DB = `${APP}-db-1`;
const WEB = `${APP}-web-1`;
const OTHER = `${APP}-other-1`;
const STACK = "hosts/h1/app";

const PASSWORD_1 = `pw1-${randomBytes(8).toString("hex")}`;
const PASSWORD_2 = `pw2-${randomBytes(8).toString("hex")}`;
const TLS_KEY = `-----BEGIN PRIVATE KEY-----\ntls-${randomBytes(12).toString("hex")}\n-----END PRIVATE KEY-----\n`;
const TLS_KEY_2 = `-----BEGIN PRIVATE KEY-----\ntls-${randomBytes(12).toString("hex")}\n-----END PRIVATE KEY-----\n`;
const PLANTED = [PASSWORD_1, PASSWORD_2, TLS_KEY.split("\n")[1] as string, TLS_KEY_2.split("\n")[1] as string];

let tmp: string;
let tmpfs: string;
let runtimeDir: string;
let gitRoot: string;
let server: GitServer;
let repo: ManifestRepo;
let host: TestHost;
let key: { file: string; recipient: string };
let stranger: { file: string; recipient: string };
const outputs: RunResult[] = [];

async function sync(): Promise<RunResult> {
  const r = await host.run("sync");
  outputs.push(r);
  return r;
}

function compose(): string {
  const image = testEnv().images["web-v1"];
  return `name: ${APP}
services:
  db:
${webService(image, "    env_file: db.sops.env")}
  web:
${webService(image, "    secrets:\n      - source: tls_key\n        target: /etc/tls/key.pem")}
  other:
${webService(image)}
secrets:
  tls_key:
    file: ./tls.key.age
`;
}

async function release(message: string, password: string, recipient = key.recipient, tls = TLS_KEY): Promise<string> {
  await repo.write(`${STACK}/compose.yaml`, compose());
  await repo.write(
    `${STACK}/db.sops.env`,
    await encodeSops([treeOf({ POSTGRES_USER: "app", POSTGRES_PASSWORD: password })], { format: "dotenv", age: [recipient] }),
  );
  await writeFile(path.join(repo.workDir, STACK, "tls.key.age"), ageEncrypt(tls, key.recipient));
  return repo.commit(message);
}

const envOf = async (name: string) => (await dockerClient().getContainer(name).inspect()).Config.Env;
const exec = (name: string, script: string) => dockerCli(["exec", name, "sh", "-c", script]);

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function expectNoPlaintext(text: string, where: string): void {
  for (const value of PLANTED) expect(text.includes(value), `${where} holds a decrypted value`).toBe(false);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), `${P}tmp-`));
  key = ageKeygen(tmp);
  stranger = ageKeygen(tmp);
  // The host's /run may not be a tmpfs here (a container, a CI machine): the test mounts its own.
  tmpfs = path.join(tmp, "run");
  await mkdir(tmpfs);
  await run$("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", tmpfs]);
  runtimeDir = path.join(tmpfs, "secrets");
  gitRoot = await mkdtemp(path.join(os.tmpdir(), `${P}git-`));
  server = await startGitServer(gitRoot);
  repo = await createManifestRepo(server, `${P}manifests`);
  const config = ["secrets:", `  age_identity_file: ${key.file}`, `  runtime_dir: ${runtimeDir}`, "report:", "  git_notes: true", ""].join("\n");
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1", config });
}, 120_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await server?.close();
  if (tmpfs) await run$("umount", [tmpfs]).catch(() => undefined);
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (gitRoot) await rm(gitRoot, { recursive: true, force: true });
});

describe("secrets from Git, encrypted with SOPS and age, decrypted only on the host", () => {
  let ids: Record<string, string>;
  let first: string;

  it("starts the stack with the decrypted values: the password in the database's environment, the key as a read-only file on the tmpfs", async () => {
    first = await release("v1", PASSWORD_1);
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(await envOf(DB)).toEqual(expect.arrayContaining([`POSTGRES_PASSWORD=${PASSWORD_1}`, "POSTGRES_USER=app"]));
    expect(await exec(WEB, "cat /etc/tls/key.pem")).toBe(TLS_KEY);
    await expect(exec(WEB, "echo x > /etc/tls/key.pem")).rejects.toThrow(/Read-only file system/);
    const mount = (await dockerClient().getContainer(WEB).inspect()).Mounts.find((m) => m.Destination === "/etc/tls/key.pem");
    expect(mount).toMatchObject({ Type: "bind", RW: false });
    expect(path.dirname(mount!.Source)).toBe(runtimeDir);
    // On the host: on the tmpfs, owner-read only, named by a keyed digest that says nothing of the content.
    expect((await stat(mount!.Source)).mode & 0o777).toBe(0o400);
    expect(path.basename(mount!.Source)).toMatch(/^[0-9a-f]{40}\.0400$/);
    ids = await host.ids(APP);
  });

  it("re-encrypting the same values (new ciphertext, new data key) changes nothing on the host", async () => {
    const before = await repo.read(`${STACK}/db.sops.env`);
    await release("same values, encrypted again", PASSWORD_1);
    expect(await repo.read(`${STACK}/db.sops.env`)).not.toBe(before);
    const plan = await host.run("plan", ["--json", "--detailed-exitcode"]);
    outputs.push(plan);
    expect(plan.code, plan.stderr).toBe(0);
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(await host.ids(APP)).toEqual(ids);
  });

  it("a changed value replaces only the service that uses it", async () => {
    await release("new database password", PASSWORD_2);
    const plan = await host.run("plan", ["--json", "--detailed-exitcode"]);
    outputs.push(plan);
    expect(plan.code, plan.stderr).toBe(2);
    const actions = JSON.parse(plan.stdout).plan.actions as { container: string; kind: string; reasons: string[] }[];
    expect(actions.filter((a) => a.kind !== "unchanged")).toEqual([
      expect.objectContaining({ container: DB, kind: "replace", reasons: ["config changed: env_file"] }),
    ]);
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    const after = await host.ids(APP);
    expect(after[DB]).not.toBe(ids[DB]);
    expect(after[WEB]).toBe(ids[WEB]);
    expect(after[OTHER]).toBe(ids[OTHER]);
    expect(await envOf(DB)).toContain(`POSTGRES_PASSWORD=${PASSWORD_2}`);
    ids = after;
  });

  it("a new TLS key replaces only the web server, and the old key's file leaves the tmpfs once the rollout is healthy", async () => {
    const before = await readdir(runtimeDir);
    expect(before).toHaveLength(1);
    await release("new tls key", PASSWORD_2, key.recipient, TLS_KEY_2);
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    const after = await host.ids(APP);
    expect(after[WEB]).not.toBe(ids[WEB]);
    expect(after[DB]).toBe(ids[DB]);
    expect(after[OTHER]).toBe(ids[OTHER]);
    expect(await exec(WEB, "cat /etc/tls/key.pem")).toBe(TLS_KEY_2);
    const now = await readdir(runtimeDir);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(before[0]);
    ids = after;
  });

  it("a file encrypted for another key is rejected with nothing changed, naming who it was encrypted for", async () => {
    const bad = await release("encrypted for the wrong host", PASSWORD_1, stranger.recipient);
    const r = await sync();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(
      `is encrypted (SOPS dotenv) for age ${stranger.recipient}, and this host holds none of their keys (this host's keys: age ${key.recipient})`,
    );
    expect(await host.ids(APP)).toEqual(ids);
    expect(await envOf(DB)).toContain(`POSTGRES_PASSWORD=${PASSWORD_2}`);
    const state = JSON.parse(await readFile(path.join(host.stateDir, "state.json"), "utf8"));
    expect(Object.keys(state.rejected)).toEqual([bad]);
  });

  it("after a reboot empties the tmpfs, the next pass writes the files again and the service runs with them", async () => {
    await release("back to a good release", PASSWORD_2);
    expect((await sync()).code).toBe(0);
    await dockerCli(["stop", "-t", "1", WEB]);
    for (const f of await readdir(runtimeDir)) await rm(path.join(runtimeDir, f));
    await expect(dockerCli(["start", WEB])).rejects.toThrow(/no such file or directory|does not exist/);
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(await exec(WEB, "cat /etc/tls/key.pem")).toBe(TLS_KEY);
  });

  it("status shows, per service, the encrypted files it uses and whether this host decrypts them", async () => {
    const r = await host.run("status", ["--json"]);
    outputs.push(r);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      stacks: { project: string; services: { service: string; encrypted?: { repoPath: string; decryptable: boolean; usedAs: string }[] }[] }[];
    };
    const services = report.stacks.find((s) => s.project === APP)?.services ?? [];
    const byName = Object.fromEntries(services.map((s) => [s.service, s.encrypted]));
    expect(byName.db).toEqual([expect.objectContaining({ repoPath: `${STACK}/db.sops.env`, usedAs: "env_file", decryptable: true })]);
    expect(byName.web).toEqual([expect.objectContaining({ repoPath: `${STACK}/tls.key.age`, usedAs: "secret", decryptable: true })]);
    expect(byName.other).toBeUndefined();
    const text = await host.run("status");
    outputs.push(text);
    expect(text.stdout).toContain(`encrypted env_file: ${STACK}/db.sops.env (SOPS dotenv, for age ${key.recipient}): this host decrypts it`);
  });

  it("gitdock validate checks the files without the key, and decrypts them with --identity", async () => {
    const dir = path.join(repo.workDir, "hosts/h1");
    const noKey = await runGitdock(["validate", dir]);
    outputs.push(noKey);
    expect(noKey.code, noKey.stderr).toBe(0);
    const withKey = await runGitdock(["validate", "--identity", stranger.file, dir]);
    outputs.push(withKey);
    expect(withKey.code).toBe(1);
    expect(withKey.stderr).toMatch(/this host holds none of their keys \(this host's keys: age age1/);
    const ok = await runGitdock(["validate", "--identity", key.file, dir]);
    outputs.push(ok);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("no plaintext in any log, label, state file, journal line, git note or docker inspect but the database's own environment", async () => {
    const logs = outputs.map((o) => `${o.stdout}\n${o.stderr}`).join("\n");
    expectNoPlaintext(logs, "the CLI's output");
    const files = await listFiles(host.stateDir);
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(["state.json", "journal.jsonl"]));
    for (const file of files) expectNoPlaintext((await readFile(file)).toString("latin1"), file);
    for (const name of [DB, WEB, OTHER]) {
      const info = await dockerClient().getContainer(name).inspect();
      const { Env, ...config } = info.Config;
      expectNoPlaintext(JSON.stringify({ ...info, Config: config }), `docker inspect ${name} (labels, mounts, host config)`);
      if (name !== DB) expectNoPlaintext(JSON.stringify(Env), `the environment of ${name}`);
    }
    const { stdout: notes } = await run$("git", ["-C", repo.workDir, "fetch", "-q", "origin", "refs/notes/*:refs/notes/*"]).then(() =>
      run$("git", ["-C", repo.workDir, "log", "--notes=gitdock", "--format=%H%n%N"]),
    );
    expect(notes).toMatch(/applied/);
    expectNoPlaintext(notes, "the git notes");
    expect(first).toMatch(/^[0-9a-f]{40}$/);
  });
});
