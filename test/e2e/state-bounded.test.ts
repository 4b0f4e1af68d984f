/**
 * The state directory stays bounded, and a full disk interrupts the journal instead of breaking
 * it: on the real Engine, registry and Git server, with the agent (`gitdock run`) as a child
 * process and a real full file system (a small tmpfs; the tests run as root).
 */
import { execFile } from "node:child_process";
import { mkdtemp, open, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, removeProjects } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { startAgent, type AgentProcess } from "./helpers/agent-process.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-sb-";
const run = promisify(execFile);

function compose(project: string, image: string): string {
  return `name: ${project}\nservices:\n  web:\n${webService(image)}\n`;
}

/** POST /sync: one pass now, answered when it is done. */
interface SyncAnswer {
  ok: boolean;
  pass: { summary?: { target: string; outcome: string }; error?: { message: string } };
}

async function syncNow(agent: AgentProcess): Promise<{ status: number; body: SyncAnswer }> {
  const res = await fetch(`${agent.base}/sync`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await agent.token()}` },
    signal: AbortSignal.timeout(120_000),
  });
  return { status: res.status, body: (await res.json()) as SyncAnswer };
}

interface StateDirStatus {
  path: string;
  bytes: number;
  files: number;
  clonePacks: number;
}

/** One more commit on `main` of a bare repository, with the same tree: a push that changes nothing on the host. */
async function commitNothing(bare: string, message: string): Promise<string> {
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t.invalid" };
  const sha = (await run("git", ["-C", bare, "commit-tree", "main^{tree}", "-p", "main", "-m", message], { env })).stdout.trim();
  await run("git", ["-C", bare, "update-ref", "refs/heads/main", sha]);
  return sha;
}

/** Bytes on disk under a directory (what `du` says), the way gitdock status counts them. */
async function du(dir: string): Promise<number> {
  const { stdout } = await run("du", ["-s", "--block-size=1", dir]);
  return Number(stdout.split("\t")[0]);
}

describe("200 fetched commits", () => {
  const project = `${P}clone-app`;
  let repo: ManifestRepo;
  let host: TestHost;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}clone`);
    host = await createTestHost({ prefix: `${P}clone-`, repo: repo.url });
  });
  afterAll(async () => {
    await agent?.stop();
    await removeProjects(project);
    await host?.dispose();
    await repo?.dispose();
  });

  it("leave a clone with a bounded number of packs and a bounded size", async () => {
    await repo.write(`${project}/compose.yaml`, compose(project, testEnv().images.sleeper));
    await repo.commit("first");
    agent = await startAgent(host, repo.url, { args: ["--interval", "1h"] });
    expect((await syncNow(agent)).status).toBe(200);

    const source = path.join(host.stateDir, "source");
    const samples: { n: number; packs: number; cloneBytes: number; status: StateDirStatus }[] = [];
    let lastSha = "";
    for (let n = 1; n <= 200; n++) {
      // A commit that changes nothing on the host: each pass fetches one commit, and that is all it does.
      const sha = (lastSha = await commitNothing(repo.bareDir, `poll ${n}`));
      const r = await syncNow(agent);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.pass.summary?.target).toBe(sha);
      const status = (await agent.get("/status")).json().stateDir as StateDirStatus;
      samples.push({ n, packs: status.clonePacks, cloneBytes: await du(source), status });
    }

    // Each fetch adds a pack; past 8 they are consolidated into one.
    expect(Math.max(...samples.map((s) => s.packs))).toBeLessThanOrEqual(9);
    expect(agent.logs().filter((l) => /^repacked the clone/.test(String(l.msg))).length).toBeGreaterThanOrEqual(20);
    // The size stops growing once the clone holds its window of 100 commits: right after each
    // repack it is the same, and over a whole cycle of repacks it is no larger than the cycle before.
    const repacked = samples.filter((s) => s.n >= 110 && s.packs === 1).map((s) => s.cloneBytes);
    expect(repacked.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...repacked)).toBeLessThanOrEqual(Math.min(...repacked) * 1.1);
    const most = (from: number, to: number) => Math.max(...samples.filter((s) => s.n > from && s.n <= to).map((s) => s.cloneBytes));
    expect(most(160, 200)).toBeLessThanOrEqual(most(120, 160) * 1.1);
    // status reports the state directory as du sees it.
    const last = samples.at(-1)!;
    expect(last.status.path).toBe(host.stateDir);
    expect(last.status.bytes).toBeGreaterThan(last.cloneBytes);

    // Real git agrees the clone is whole and holds the recent window, not all 201 commits.
    const gitdir = path.join(source, (await run("ls", [source])).stdout.trim());
    await run("git", ["-C", gitdir, "fsck", "--connectivity-only", "--no-dangling"]);
    const count = Number((await run("git", ["-C", gitdir, "rev-list", "--count", "refs/remotes/origin/main"])).stdout.trim());
    expect(count).toBeGreaterThanOrEqual(100);
    expect(count).toBeLessThanOrEqual(110);

    // gitdock history still reads the clone, up to its edge; the text status says how big the state directory is.
    const history = await host.run("history", ["--json"]);
    expect(history.code, history.stderr).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject({ head: lastSha, complete: false, boundary: [expect.stringMatching(/^[0-9a-f]{40}$/)] });
    const text = await host.run("status", ["--listen", agent.listen]);
    expect(text.stdout).toMatch(new RegExp(`state directory: ${host.stateDir}, [\\d.]+ (KiB|MiB) in \\d+ files; clone: [1-9] pack\\(s\\)`));
  }, 600_000);
});

describe("a full disk during a rollout", () => {
  const project = `${P}disk-app`;
  let repo: ManifestRepo;
  let host: TestHost;
  let agent: AgentProcess | undefined;
  let disk: string;
  let journal: string;
  const filler = () => path.join(disk, "filler");

  beforeAll(async () => {
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}disk`);
    host = await createTestHost({ prefix: `${P}disk-`, repo: repo.url });
    // The journal lives on a 64 KiB tmpfs of its own, bound onto journal.jsonl: the test fills that
    // disk, and only the journal's writes fail, at the rollout's first journal write (state.json,
    // the rollout marker and images.json are written elsewhere in the state directory first).
    disk = await mkdtemp(path.join(os.tmpdir(), `${P}disk-`));
    await run("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", disk]);
    journal = path.join(host.stateDir, "journal.jsonl");
    await writeFile(path.join(disk, "journal.jsonl"), "", { mode: 0o600 });
    await writeFile(journal, "", { mode: 0o600 });
    await run("mount", ["--bind", path.join(disk, "journal.jsonl"), journal]);
  });
  afterAll(async () => {
    await agent?.stop();
    await removeProjects(project);
    await run("umount", [journal]).catch(() => undefined);
    await run("umount", [disk]).catch(() => undefined);
    await rmdir(disk).catch(() => undefined);
    await host?.dispose();
    await repo?.dispose();
  });

  it("interrupts the journal, says the journal write failed, and the journal resumes once there is space", async () => {
    const { images } = testEnv();
    await repo.write(`${project}/compose.yaml`, compose(project, images["web-v1"]));
    await repo.commit("v1");
    agent = await startAgent(host, repo.url, { args: ["--interval", "1h"] });
    expect((await syncNow(agent)).status).toBe(200);

    // The rollout's first journal line (a replace, ~300 bytes) must not fit in the room left on
    // the journal's last page: short entries (a commit that changes nothing) until that room is
    // under 250 bytes, then fill the disk. The write is then cut where the page ends.
    const room = async () => (4096 - ((await stat(journal)).size % 4096)) % 4096;
    for (let i = 0; (await room()) === 0 || (await room()) >= 250; i++) {
      expect(i).toBeLessThan(40);
      await repo.commit(`pad ${i}`);
      expect((await syncNow(agent)).status).toBe(200);
    }
    const linesBefore = (await readFile(journal, "utf8")).split("\n").filter(Boolean).length;
    const fh = await open(filler(), "w");
    try {
      for (;;) await fh.write(Buffer.alloc(4096));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
    } finally {
      await fh.close();
    }

    await repo.write(`${project}/compose.yaml`, compose(project, images["web-v2"]));
    const v2 = await repo.commit("v2");
    const logFrom = agent.logs().length;
    const failed = await syncNow(agent);
    expect(failed.status).toBe(500);
    expect(failed.body.pass.error?.message).toMatch(/cannot append to .*journal\.jsonl: ENOSPC/);

    // The log says what failed: the journal write. A full disk is not the release's fault
    // (issue 13): the release goes on and is good, it is not rolled back or held against the commit.
    const logs = agent.logs().slice(logFrom);
    const messages = logs.map((l) => String(l.msg));
    expect(messages.filter((m) => /ROLLBACK FAILED/.test(m))).toEqual([]);
    const journalFailure = logs.find((l) => /JOURNAL WRITE FAILED during the rollout/.test(String(l.msg)));
    expect(journalFailure?.msg).toMatch(new RegExp(`${project}-web-1: done, but the journal could not record it`));
    expect(String(journalFailure?.err)).toMatch(/ENOSPC/);
    const web = (await containersOf(project)).filter((c) => c.name === `${project}-web-1`);
    expect(web.map((c) => [c.state, c.image])).toEqual([["running", images["web-v2"]]]);
    const state = JSON.parse(await readFile(path.join(host.stateDir, "state.json"), "utf8")) as {
      lastGood: { commit: string };
      failed: Record<string, unknown>;
    };
    expect([state.lastGood.commit, state.failed[v2]]).toEqual([v2, undefined]);

    // history --verify: interrupted at the torn line, not broken.
    const interrupted = await host.run("history", ["--verify"]);
    expect(interrupted.code).toBe(1);
    const tornLine = linesBefore + 1;
    expect(interrupted.stdout).toContain(`INTERRUPTED at line ${tornLine} (seq ${linesBefore + 1})`);
    expect(interrupted.stdout).toContain(`first problem: line ${tornLine} (torn)`);
    expect(interrupted.stdout).not.toContain("BROKEN");

    // Space again: the next pass goes on (and removes the kept v1), and the journal goes on with a record of the gap.
    await rm(filler());
    const resumed = await syncNow(agent);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect((await containersOf(project)).map((c) => [c.name, c.image])).toEqual([[`${project}-web-1`, images["web-v2"]]]);

    const verified = await host.run("history", ["--verify"]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/hash chain intact across 1 recorded interruption\(s\)/);
    expect(verified.stdout).toMatch(new RegExp(`line ${tornLine + 1} +interrupted before seq ${linesBefore + 1}: line ${tornLine} cut short, kept as found`));
    expect(verified.stdout).toMatch(/journal writes failed \(ENOSPC\).*entries were not written/);
    const gap = JSON.parse((await readFile(journal, "utf8")).split("\n")[tornLine]!);
    // What the agent knew it could not write: the replace and the release's outcome.
    expect(gap).toMatchObject({ action: "journal-gap", seq: linesBefore + 1, data: { lost: { error: "ENOSPC" } } });
    const lost = (gap.data.lost.entries as { action: string; container?: string }[]).map((e) => `${e.action} ${e.container ?? ""}`.trim());
    expect(lost).toEqual(expect.arrayContaining([`replace ${project}-web-1`, "sync"]));
  });
});
