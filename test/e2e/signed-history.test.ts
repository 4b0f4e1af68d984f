/**
 * Signed history moves forward, against the real engine, registry and Git server, with commits
 * signed by real `git` with SSH keys from `ssh-keygen`:
 *  - enforce mode refuses a target that does not descend from the last good commit (a force-push
 *    back, or to an unrelated history), unless `gitdock retry --allow-rewind` lets it through once;
 *  - the shallow clone is deepened on demand to prove a deep history;
 *  - the last good commit is re-checked before drift repair: when the policy or the trust files
 *    no longer let it pass, gitdock halts (exit 4, status, the agent's gauge) until a commit passes;
 *  - warn and off modes apply a rewind as before.
 * Each describe block is one host with its own repository, in order.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../support/cli.js";
import { containersOf, dockerCli, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { readJournal } from "../support/journal.js";
import { freePort } from "../support/free-port.js";
import { createSigningKit, type SigningKit } from "../unit/helpers/signing-keys.js";
import { startAgent } from "./helpers/agent-process.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-sh-";
const STACK_FILE = "hosts/h1/app/compose.yaml";
const execFileP = promisify(execFile);

let kit: SigningKit;
let dir: string;
let allowed: string;

beforeAll(async () => {
  kit = await createSigningKit(["ed25519"]);
  dir = await mkdtemp(path.join(os.tmpdir(), `${P}cfg-`));
  allowed = path.join(dir, "allowed_signers");
  await writeFile(allowed, `${await kit.allowedLine("ed25519", "alice@example.com", 'namespaces="git"')}\n`);
}, 120_000);

afterAll(async () => {
  await kit?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const signed = () => ({ config: { "gpg.format": "ssh", "user.signingkey": kit.sshKey("ed25519") }, args: ["-S"] });

async function config(name: string, text: string): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

const verify = (mode: string, extra = "") => `security:\n  verify:\n    mode: ${mode}\n    allowed_signers: ${allowed}\n${extra}`;

/** One simulated host following its own manifest repository. */
async function scenario(name: string): Promise<{ repo: ManifestRepo; host: TestHost; project: string }> {
  const env = testEnv();
  const repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}${name}`);
  const host = await createTestHost({ prefix: `${P}${name}-`, repo: repo.url, path: "hosts/h1" });
  return { repo, host, project: `${P}${name}-app` };
}

function compose(project: string, release: string, extra = ""): string {
  return `name: ${project}\nservices:\n  web:\n${webService(testEnv().images["web-v1"], `    labels:\n      release: "${release}"\n${extra}`)}\n`;
}

async function release(s: { repo: ManifestRepo; project: string }, n: string, opts: { extra?: string; sign?: boolean } = {}): Promise<string> {
  await s.repo.write(STACK_FILE, compose(s.project, n, opts.extra));
  return s.repo.commit(`release ${n}`, opts.sign === false ? undefined : signed());
}

async function running(project: string): Promise<{ release: string | undefined; commit: string | undefined; ids: string[] }> {
  const web = (await containersOf(project)).filter((c) => c.name === `${project}-web-1`);
  return { release: web[0]?.labels.release, commit: web[0]?.labels["gitdock.commit"], ids: web.map((c) => c.id) };
}

async function statusJson(host: TestHost, cfg: string): Promise<Record<string, any>> {
  const r = await host.run("status", ["--config", cfg, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

function expectSynced(r: RunResult): void {
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

describe("enforce: a force-push back to an older signed release", () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let enforce: string;
  const c: Record<string, string> = {};
  beforeAll(async () => {
    s = await scenario("rw");
    enforce = await config("rw-enforce", `${verify("enforce")}report:\n  git_notes: true\n`);
  });
  afterAll(async () => {
    await s?.host.dispose();
    await s?.repo.dispose();
  });

  it("applies release A, then release B", async () => {
    await s.repo.write("README.md", "manifests\n");
    await s.repo.commit("initial commit"); // A has a parent the shallow clone does not hold
    c.a = await release(s, "a");
    expectSynced(await s.host.run("sync", ["--config", enforce]));
    expect((await running(s.project)).release).toBe("a");
    c.b = await release(s, "b");
    expectSynced(await s.host.run("sync", ["--config", enforce]));
    expect(await running(s.project)).toMatchObject({ release: "b", commit: c.b });
  });

  it("rejects the branch rewound to A (exit 4, not a descendant) and keeps B running", async () => {
    const before = await running(s.project);
    await s.repo.resetTo(c.a!);
    const r = await s.host.run("sync", ["--config", enforce]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain(
      `commit ${c.a!.slice(0, 12)} is not a descendant of the last good commit ${c.b!.slice(0, 12)}: the branch was rewound or replaced`,
    );
    expect(r.stdout).toContain(`hint: If this rewind is intended, run \`gitdock retry --allow-rewind ${c.a}\``);
    expect(await running(s.project)).toEqual(before);

    // Recorded like any rejection: the state's mark, the journal, the git note.
    const status = await statusJson(s.host, enforce);
    expect(status.rejected[c.a!].reason).toMatch(/is not a descendant of the last good commit/);
    expect(status.lastGood.commit).toBe(c.b);
    const journal = await readJournal(s.host.stateDir);
    expect(journal.filter((e) => e.commit === c.a && e.action === "reject")).toEqual([
      expect.objectContaining({ outcome: "rejected", reason: expect.stringMatching(/not a descendant of the last good commit/) }),
    ]);
    const note = await s.repo.git(["--git-dir", s.repo.bareDir, "notes", "--ref=gitdock", "show", c.a!]);
    expect(note).toMatch(new RegExp(`^${s.host.hostId} rejected \\S+ commit ${c.a!.slice(0, 12)} is not a descendant of the last good commit`, "m"));

    // Held back as rejected on the next pass too, without judging it again.
    const again = await s.host.run("sync", ["--config", enforce]);
    expect(again.code).toBe(4);
    expect(await running(s.project)).toEqual(before);
  });

  it("applies A once `gitdock retry --allow-rewind A` allows it", async () => {
    const retry = await s.host.run("retry", ["--config", enforce, "--allow-rewind", c.a!.slice(0, 12)]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(`allowed ${c.a!.slice(0, 12)} once`);
    expect((await statusJson(s.host, enforce)).allowRewind).toEqual([c.a]);
    expectSynced(await s.host.run("sync", ["--config", enforce]));
    expect(await running(s.project)).toMatchObject({ release: "a", commit: c.a });
    const status = await statusJson(s.host, enforce);
    expect(status).toMatchObject({ lastGood: { commit: c.a }, allowRewind: [] });
    expect(status.rejected[c.a!]).toBeUndefined();
  });

  it("rejects the branch replaced by an unrelated signed history (a new root commit)", async () => {
    const before = await running(s.project);
    await s.repo.startUnrelatedHistory();
    const root = await release(s, "evil");
    expect((await s.repo.git(["rev-list", "--parents", "-n", "1", root])).trim()).toBe(root); // no parents
    const r = await s.host.run("sync", ["--config", enforce]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain(`commit ${root.slice(0, 12)} is not a descendant of the last good commit ${c.a!.slice(0, 12)}`);
    expect(await running(s.project)).toEqual(before);
  });
});

describe("enforce: a history deeper than the shallow clone", () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let enforce: string;
  beforeAll(async () => {
    s = await scenario("deep");
    enforce = await config("deep-enforce", verify("enforce"));
  });
  afterAll(async () => {
    await s?.host.dispose();
    await s?.repo.dispose();
  });

  it("deepens the clone to find the last good commit 31 commits back, and applies the target", async () => {
    const good = await release(s, "1");
    expectSynced(await s.host.run("sync", ["--config", enforce]));
    // 30 commits elsewhere in the repository, then a signed release.
    const between: string[] = [];
    for (let i = 0; i < 30; i++) {
      await s.repo.write(`docs/note-${i}.txt`, `${i}\n`);
      await s.repo.git(["add", "-A"]);
      await s.repo.git(["commit", "--quiet", "-m", `note ${i}`]);
      between.push((await s.repo.git(["rev-parse", "HEAD"])).trim());
    }
    const target = await release(s, "2");

    // Before: the host's clone is shallow at the last good commit and holds none of the commits between.
    const clone = path.join(s.host.stateDir, "source", `${createHash("sha256").update(s.repo.url).digest("hex").slice(0, 16)}.git`);
    expect((await readFile(path.join(clone, "shallow"), "utf8")).split("\n")).toContain(good);
    const inClone = (oid: string) =>
      execFileP("git", ["--git-dir", clone, "cat-file", "-e", oid]).then(
        () => true,
        () => false,
      );
    expect(await inClone(between[15]!)).toBe(false);

    const r = await s.host.run("sync", ["--config", enforce]);
    expectSynced(r);
    expect(r.stderr).toMatch(/the clone is too shallow to find the last good commit; deepening it to 50 commits/);
    expect(await running(s.project)).toMatchObject({ release: "2", commit: target });
    expect(await inClone(between[15]!)).toBe(true);
  });
});

describe("enforce: the last good commit is re-checked before drift repair", () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let enforce: string;
  let tight: string;
  let untrusted: string;
  let port: number;
  let good: string;
  beforeAll(async () => {
    s = await scenario("halt");
    port = await freePort();
    enforce = await config("halt-enforce", verify("enforce"));
    tight = await config("halt-tight", verify("enforce", '  policy:\n    published_ports: ["9000-9100"]\n'));
    // The signer's key is no longer trusted: only another one is.
    const [type, key] = (await readFile(`${kit.strangerKey}.pub`, "utf8")).split(" ");
    const strangers = path.join(dir, "halt-strangers");
    await writeFile(strangers, `mallory@example.com ${type} ${key}\n`);
    untrusted = await config("halt-untrusted", `security:\n  verify:\n    mode: enforce\n    allowed_signers: ${strangers}\n`);
  });
  afterAll(async () => {
    await s?.host.dispose();
    await s?.repo.dispose();
  });

  it("applies a good commit that publishes a port", async () => {
    good = await release(s, "1", { extra: `    ports: ["127.0.0.1:${port}:8080"]` });
    expectSynced(await s.host.run("sync", ["--config", enforce]));
    expect((await running(s.project)).commit).toBe(good);
  });

  it("halts once the policy no longer allows that port: a removed container is not recreated, exit 4, status says why", async () => {
    await dockerCli(["rm", "-f", `${s.project}-web-1`]);
    const r = await s.host.run("sync", ["--config", tight]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/^halted [0-9a-f]{12}: nothing was changed on this host$/m);
    expect(r.stdout).toMatch(
      new RegExp(
        `the last good commit ${good.slice(0, 12)} no longer passes the policy check: policy: hosts/h1/app/compose\\.yaml:\\d+:\\d+: services\\.web\\.ports\\[0\\]: host port ${port}/tcp`,
      ),
    );
    expect(r.stderr).toMatch(/"level":50.*HALTED: the last good commit/);
    expect((await running(s.project)).ids).toEqual([]);

    const status = await statusJson(s.host, tight);
    expect(status.halted).toMatchObject({ commit: good, reason: expect.stringMatching(/no longer passes the policy check/) });
    expect(status.rejected).toEqual({}); // the last good commit is not marked rejected
    const text = await s.host.run("status", ["--config", tight]);
    expect(text.stdout).toMatch(/^HALTED since \S+: the last good commit [0-9a-f]{12} no longer passes the policy check/m);
  });

  it("the agent stays halted too: nothing recreated, the gauge at 1, readyz 503", async () => {
    const agent = await startAgent(s.host, s.repo.url, { args: ["--config", tight, "--path", "hosts/h1", "--interval", "1s"] });
    try {
      const metrics = await waitFor(
        async () => {
          const m = await agent.metrics();
          return m.value("gitdock_reconciles_total", { result: "halted" }) >= 2 ? m : undefined;
        },
        { what: "two halted passes", timeoutMs: 60_000 },
      );
      expect(metrics.value("gitdock_last_good_blocked")).toBe(1);
      expect((await agent.get("/readyz")).status).toBe(503);
      expect((await agent.get("/status")).json().halted).toMatchObject({ commit: good });
      expect(agent.logs().filter((l) => l.level === 50 && String(l.msg).startsWith("HALTED: ")).length).toBeGreaterThanOrEqual(2);
      expect((await running(s.project)).ids).toEqual([]);
    } finally {
      await agent.stop();
    }
  });

  it("while halted, a new target that breaks the policy is rejected, and the result names both", async () => {
    const bad = await release(s, "1b", { extra: `    ports: ["127.0.0.1:${port}:8080"]\n    cap_add: [NET_ADMIN]` });
    const r = await s.host.run("sync", ["--config", tight]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/^halted [0-9a-f]{12}: nothing was changed on this host$/m);
    expect(r.stdout).toContain(`the last good commit ${good.slice(0, 12)} no longer passes the policy check`);
    expect(r.stdout).toMatch(new RegExp(`^the target ${bad.slice(0, 12)} is rejected: 2 host policy violation\\(s\\):$`, "m"));
    expect((await statusJson(s.host, tight)).rejected[bad]).toBeDefined();
    expect((await running(s.project)).ids).toEqual([]);
  });

  it("halts when the signer's key is no longer trusted", async () => {
    const r = await s.host.run("sync", ["--config", untrusted]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/no longer passes the signature check: signature untrusted: signed by SSH key SHA256:\S+, which allowed_signers does not list/);
    expect((await running(s.project)).ids).toEqual([]);
  });

  it("moves to a new commit that passes, and the halt is over", async () => {
    const next = await release(s, "2");
    const r = await s.host.run("sync", ["--config", tight]);
    expectSynced(r);
    expect(await running(s.project)).toMatchObject({ release: "2", commit: next });
    const status = await statusJson(s.host, tight);
    expect(status.halted).toBeUndefined();
    expect(status.lastGood.commit).toBe(next);
  });
});

describe("warn and off: a rewind applies as before", () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  let warn: string;
  let off: string;
  beforeAll(async () => {
    s = await scenario("warn");
    warn = await config("warn", verify("warn"));
    off = await config("off", "security:\n  verify:\n    mode: off\n");
  });
  afterAll(async () => {
    await s?.host.dispose();
    await s?.repo.dispose();
  });

  it("warn: applies A, B, then the branch rewound to A", async () => {
    const a = await release(s, "a");
    expectSynced(await s.host.run("sync", ["--config", warn]));
    await release(s, "b");
    expectSynced(await s.host.run("sync", ["--config", warn]));
    await s.repo.resetTo(a);
    expectSynced(await s.host.run("sync", ["--config", warn]));
    expect(await running(s.project)).toMatchObject({ release: "a", commit: a });
  });

  it("off: applies an unrelated, unsigned history", async () => {
    await s.repo.startUnrelatedHistory();
    const root = await release(s, "other", { sign: false });
    expectSynced(await s.host.run("sync", ["--config", off]));
    expect(await running(s.project)).toMatchObject({ release: "other", commit: root });
  });
});
