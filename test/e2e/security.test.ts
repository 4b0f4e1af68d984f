/**
 * Security against the real engine, registry and Git server: commits signed by real `git` (SSH keys
 * from `ssh-keygen`, an OpenPGP key from `gpg --batch`), verified in enforce and warn mode; the host
 * policy; file secrets; and hostile manifests through `gitdock validate`. One scenario, in order:
 * each step starts from the host the previous one left.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { listFiles } from "../support/files.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../support/cli.js";
import { runGitdock } from "../support/cli.js";
import { containersOf, dockerCli, dockerClient } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createSigningKit, type SigningKit } from "../unit/helpers/signing-keys.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-sec-";
const APP = `${P}app`;
const STACK_FILE = "hosts/h1/app/compose.yaml";

let kit: SigningKit;
let repo: ManifestRepo;
let host: TestHost;
let dir: string;
let secretsDir: string;
let envDir: string;
/** Config files: enforce (both key files), enforce with SSH keys only, warn, and enforce allowing NET_ADMIN. */
const cfg = { enforce: "", sshOnly: "", warn: "", allowNetAdmin: "" };
/** Every CLI output of the scenario, for the final grep for planted secrets. */
const outputs: RunResult[] = [];
const SECRET_VALUE = `planted-secret-${randomBytes(8).toString("hex")}`;
const SECRET_VALUE_2 = `planted-secret-two-${randomBytes(8).toString("hex")}`;
const ENV_VALUE = `planted-env-${randomBytes(8).toString("hex")}`;

async function run(command: string, config: string, extra: string[] = []): Promise<RunResult> {
  const r = await host.run(command, ["--config", config, ...extra]);
  outputs.push(r);
  return r;
}

function appCompose(opts: { release: string; web?: string; extra?: string; top?: string }): string {
  const { images } = testEnv();
  const webExtra = ["    labels:", `      release: "${opts.release}"`, `    env_file: ${envDir}/web.env`, "    secrets: [db_password]", opts.extra ?? ""]
    .filter(Boolean)
    .join("\n");
  return `name: ${APP}
secrets:
  db_password:
    file: ${secretsDir}/db_password
${opts.top ?? ""}
services:
  web:
${webService(opts.web ?? images["web-v1"], webExtra)}
  worker:
${webService(images.sleeper)}
`;
}

const sshSign = (kind: "ed25519" | "ecdsa" | "rsa" | "stranger") => ({
  config: { "gpg.format": "ssh", "user.signingkey": kind === "stranger" ? kit.strangerKey : kit.sshKey(kind) },
  args: ["-S"],
});

let gpgWrapper: string;
const pgpSign = () => ({ config: { "gpg.format": "openpgp", "gpg.program": gpgWrapper, "user.signingkey": kit.pgpFingerprint }, args: ["-S"] });

async function release(
  n: string,
  sign: { config: Record<string, string>; args: string[] } | undefined,
  opts: { extra?: string; top?: string } = {},
): Promise<string> {
  await repo.write(STACK_FILE, appCompose({ release: n, ...opts }));
  return repo.commit(`release ${n}`, sign);
}

async function webLabel(): Promise<Record<string, string>> {
  return (await containersOf(APP)).find((c) => c.name === `${APP}-web-1`)?.labels ?? {};
}

beforeAll(async () => {
  const env = testEnv();
  kit = await createSigningKit();
  dir = await mkdtemp(path.join(os.tmpdir(), `${P}cfg-`));
  secretsDir = await mkdtemp(path.join(os.tmpdir(), `${P}secrets-`));
  envDir = await mkdtemp(path.join(os.tmpdir(), `${P}env-`));
  await writeFile(path.join(secretsDir, "db_password"), `${SECRET_VALUE}\n`, { mode: 0o600 });
  await writeFile(path.join(envDir, "web.env"), `API_TOKEN=${ENV_VALUE}\n`, { mode: 0o600 });
  gpgWrapper = path.join(dir, "gpg-wrapper.sh");
  await writeFile(gpgWrapper, `#!/bin/sh\nGNUPGHOME='${kit.gnupgHome}' exec gpg "$@"\n`);
  await chmod(gpgWrapper, 0o755);

  const allowed = path.join(dir, "allowed_signers");
  await writeFile(
    allowed,
    [
      await kit.allowedLine("ed25519", "alice@example.com", 'namespaces="git"'),
      await kit.allowedLine("ecdsa", "bob@example.com"),
      await kit.allowedLine("rsa", "carol@example.com"),
    ].join("\n") + "\n",
  );
  const keyring = path.join(dir, "keyring.asc");
  await writeFile(keyring, kit.pgpPublicKey);
  const policy = `  policy:\n    secret_roots: [${secretsDir}]\n    env_file_roots: [${envDir}]\n`;
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };
  cfg.enforce = await write(
    "enforce.yaml",
    `security:\n  verify:\n    mode: enforce\n    allowed_signers: ${allowed}\n    openpgp_keyring: ${keyring}\n${policy}`,
  );
  cfg.sshOnly = await write("ssh-only.yaml", `security:\n  verify:\n    mode: enforce\n    allowed_signers: ${allowed}\n${policy}`);
  cfg.warn = await write("warn.yaml", `security:\n  verify:\n    mode: warn\n    allowed_signers: ${allowed}\n${policy}`);
  cfg.allowNetAdmin = await write(
    "net-admin.yaml",
    `security:\n  verify:\n    mode: enforce\n    allowed_signers: ${allowed}\n${policy}    cap_add: [NET_ADMIN]\n`,
  );

  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1" });
}, 180_000);

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await kit?.dispose();
  for (const d of [dir, secretsDir, envDir]) if (d) await rm(d, { recursive: true, force: true });
});

describe("signed commits in enforce mode", () => {
  it("applies a commit signed with a trusted ed25519 key, mounts its secret read-only, and status names the signer", async () => {
    const commit = await release("1", sshSign("ed25519"));
    const r = await run("sync", cfg.enforce);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await webLabel())["gitdock.commit"]).toBe(commit);
    expect(r.stderr).toMatch(/signed by alice@example\.com \(SHA256:/);

    const inspect = await dockerClient().getContainer(`${APP}-web-1`).inspect();
    const mount = inspect.Mounts.find((m) => m.Destination === "/run/secrets/db_password");
    expect(mount).toMatchObject({ Type: "bind", Source: path.join(secretsDir, "db_password"), RW: false });
    expect(await dockerCli(["exec", `${APP}-web-1`, "cat", "/run/secrets/db_password"])).toBe(`${SECRET_VALUE}\n`);

    const status = await run("status", cfg.enforce, ["--json"]);
    const report = JSON.parse(status.stdout) as {
      signatures: Record<string, { status: string; signer: { format: string; principal: string; fingerprint: string } }>;
    };
    expect(report.signatures[commit]).toMatchObject({ status: "valid", signer: { format: "ssh", principal: "alice@example.com" } });
    const text = await run("status", cfg.enforce);
    expect(text.stdout).toMatch(/signature: {2}ssh key SHA256:\S+ \(alice@example\.com\)/);
  });

  it.each([
    ["ecdsa", () => sshSign("ecdsa"), /bob@example\.com/],
    ["rsa", () => sshSign("rsa"), /carol@example\.com/],
    ["OpenPGP", () => pgpSign(), /Release Signer <release@test>/],
  ])("applies a commit signed with a trusted %s key", async (kind, sign, signer) => {
    const commit = await release(`2-${kind}`, sign());
    const r = await run("sync", cfg.enforce);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(signer);
    expect((await webLabel())["gitdock.commit"]).toBe(commit);
  });

  async function expectRejected(config: string, status: RegExp): Promise<void> {
    const before = await host.ids(APP);
    const applied = (await webLabel())["gitdock.commit"];
    const r = await run("sync", config);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(status);
    expect(await host.ids(APP)).toEqual(before);
    expect((await webLabel())["gitdock.commit"]).toBe(applied);
    const again = await run("sync", config);
    expect(again.code).toBe(4);
    expect(await host.ids(APP)).toEqual(before);
  }

  it("rejects an unsigned commit with exit 4 and changes nothing", async () => {
    await release("3-unsigned", undefined);
    await expectRejected(cfg.enforce, /signature missing: the commit is not signed/);
  });

  it("rejects a commit signed by a key allowed_signers does not list", async () => {
    await release("4-stranger", sshSign("stranger"));
    await expectRejected(cfg.enforce, /signature untrusted: signed by SSH key SHA256:\S+, which allowed_signers does not list/);
  });

  it("rejects a signed commit whose content was changed after signing", async () => {
    const signed = await release("5-signed", sshSign("ed25519"));
    // Another tree (a release the signer never signed), under the original signature.
    await repo.write(STACK_FILE, appCompose({ release: "5-evil" }));
    await repo.git(["add", "-A"]);
    const evilTree = (await repo.git(["write-tree"])).trim();
    const raw = await repo.git(["cat-file", "commit", signed]);
    const tampered = raw.replace(/^tree [0-9a-f]{40}$/m, `tree ${evilTree}`);
    expect(tampered).not.toBe(raw);
    const objectFile = path.join(dir, "tampered-commit");
    await writeFile(objectFile, tampered);
    const forged = (await repo.git(["hash-object", "-t", "commit", "-w", objectFile])).trim();
    await repo.git(["update-ref", "refs/heads/main", forged]);
    await repo.git(["push", "--quiet", "--force", "origin", "main:main"]);
    await expectRejected(cfg.enforce, /signature tampered: the SSH signature by SHA256:\S+ does not match the commit's content/);
  });

  it("rejects a signature of a format the host has no keys for", async () => {
    await release("6-pgp", pgpSign());
    await expectRejected(cfg.sshOnly, /signature wrong-format: the commit has an OpenPGP signature, but no security\.verify\.openpgp_keyring is configured/);
  });

  it("applies an unsigned commit in warn mode and logs why", async () => {
    const commit = await release("7-warn", undefined);
    const r = await run("sync", cfg.warn);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/signature missing: the commit is not signed; applying anyway/);
    expect((await webLabel())["gitdock.commit"]).toBe(commit);
  });
});

describe("host policy", () => {
  it("rejects a commit asking for privileged and the Docker socket, listing every violation with file:line:col", async () => {
    const before = await host.ids(APP);
    await release("8-privileged", sshSign("ed25519"), { extra: "    privileged: true\n    volumes: [/var/run/docker.sock:/var/run/docker.sock]" });
    const r = await run("sync", cfg.enforce);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/hosts\/h1\/app\/compose\.yaml:\d+:\d+: services\.web\.privileged: privileged containers are not allowed by the host policy/);
    expect(r.stdout).toMatch(
      /hosts\/h1\/app\/compose\.yaml:\d+:\d+: services\.web\.volumes\[0\]: bind mount of \/var\/run\/docker\.sock would hand the container the Docker socket/,
    );
    expect(await host.ids(APP)).toEqual(before);
  });

  it("refuses an added capability by default and applies it where the policy allows it", async () => {
    const before = await host.ids(APP);
    const commit = await release("9-net-admin", sshSign("ed25519"), { extra: "    cap_add: [NET_ADMIN]" });
    const refused = await run("sync", cfg.enforce);
    expect(refused.code).toBe(4);
    expect(refused.stdout).toMatch(/services\.web\.cap_add\[0\]: adding capability NET_ADMIN is not allowed by the host policy \(allowed: none\)/);
    expect(await host.ids(APP)).toEqual(before);

    const retry = await run("retry", cfg.allowNetAdmin, [commit]);
    expect(retry.code, retry.stderr).toBe(0);
    const r = await run("sync", cfg.allowNetAdmin);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const inspect = await dockerClient().getContainer(`${APP}-web-1`).inspect();
    expect(inspect.HostConfig.CapAdd).toEqual(["NET_ADMIN"]);
  });

  it("gitdock validate --policy reports the same violations for pull-request CI", async () => {
    const policyFile = path.join(dir, "policy.yaml");
    await writeFile(policyFile, `policy:\n  published_ports: ["8000-8999"]\n  secret_roots: [${secretsDir}]\n  env_file_roots: [${envDir}]\n`);
    await repo.write(STACK_FILE, appCompose({ release: "ci", extra: '    ports: ["80:8080"]\n    user: root' }));
    const bad = await runGitdock(["validate", "--policy", policyFile, path.join(repo.workDir, "hosts/h1")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /compose\.yaml:\d+:\d+: services\.web\.ports\[0\]: host port 80\/tcp is outside the ranges the host policy allows \(8000-8999\)/,
    );
    expect(bad.stderr).toMatch(/compose\.yaml:\d+:\d+: services\.web\.user: user "root" runs as root/);
    // Without the policy the same files are valid: the policy is the host's, not the manifest's.
    const plain = await runGitdock(["validate", path.join(repo.workDir, "hosts/h1")]);
    expect(plain.code, plain.stderr).toBe(0);
    await repo.write(STACK_FILE, appCompose({ release: "ci", extra: '    ports: ["8080:8080"]' }));
    const good = await runGitdock(["validate", "--policy", policyFile, path.join(repo.workDir, "hosts/h1")]);
    expect(good.code, good.stderr).toBe(0);
  });
});

describe("secrets", () => {
  it("replaces exactly the services that mount a secret when its file changes", async () => {
    const commit = await release("10", sshSign("ed25519"));
    expect((await run("sync", cfg.enforce)).code).toBe(0);
    expect((await webLabel())["gitdock.commit"]).toBe(commit);
    const before = await host.ids(APP);

    await writeFile(path.join(secretsDir, "db_password"), `${SECRET_VALUE_2}\n`);
    const plan = await run("plan", cfg.enforce, ["--json"]);
    const actions = JSON.parse(plan.stdout).plan.actions as { container: string; kind: string; reasons: string[] }[];
    expect(actions.filter((a) => a.kind !== "unchanged")).toEqual([
      expect.objectContaining({ container: `${APP}-web-1`, kind: "replace", reasons: ["config changed: secrets"] }),
    ]);
    const r = await run("sync", cfg.enforce);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = await host.ids(APP);
    expect(after[`${APP}-web-1`]).not.toBe(before[`${APP}-web-1`]);
    expect(after[`${APP}-worker-1`]).toBe(before[`${APP}-worker-1`]);
    expect(await dockerCli(["exec", `${APP}-web-1`, "cat", "/run/secrets/db_password"])).toBe(`${SECRET_VALUE_2}\n`);
    expect((await run("sync", cfg.enforce)).stdout).toContain("already in sync");
  });

  it("keeps every planted secret out of logs, labels, docker inspect and the state directory", async () => {
    const planted = [SECRET_VALUE, SECRET_VALUE_2, ENV_VALUE];
    const logs = outputs.map((o) => o.stdout + o.stderr).join("\n");
    expect(logs.length).toBeGreaterThan(1000);
    for (const value of planted) expect(logs).not.toContain(value);

    for (const c of await containersOf(APP)) {
      const inspect = await dockerClient().getContainer(c.id).inspect();
      for (const value of planted) expect(JSON.stringify(inspect.Config.Labels)).not.toContain(value);
      // The secret file's content reaches the container only through the mount, never its config.
      expect(JSON.stringify(inspect)).not.toContain(SECRET_VALUE_2);
    }

    const files = await listFiles(host.stateDir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const content = await readFile(file);
      for (const value of planted) expect(content.includes(value), `${file} holds a planted secret`).toBe(false);
    }
  });
});

describe("hostile manifests through gitdock validate", () => {
  it("refuses a YAML alias bomb with a clear error", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const file = path.join(dir, "bomb", "compose.yaml");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${levels.join("\n")}\nservices: {}\n`);
    const r = await runGitdock(["validate", file]);
    expect(r.code).toBe(1);
    // Judged by what the aliases expand to (issue 11), no longer by counting them.
    expect(r.stderr).toMatch(
      /compose\.yaml:1:1: its aliases expand to \d+ nodes \(limit \d+\), more than 10 times the file itself; refusing what looks like a YAML alias bomb/,
    );
  });

  it("refuses a multi-megabyte manifest before parsing it", async () => {
    const file = path.join(dir, "huge", "compose.yaml");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `services:\n  web:\n    image: x\n    labels:\n      big: "${"x".repeat(5 * 1024 * 1024)}"\n`);
    const r = await runGitdock(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:1:1: file is \d+ bytes; manifests are limited to 1048576 bytes/);
  });
});
