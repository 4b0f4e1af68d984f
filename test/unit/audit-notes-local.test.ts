/**
 * Notes trees and their publication against real Git repositories on disk (no server): the local
 * target's ref lock under concurrency, fanned-out trees written by Git, and `git log --notes`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalNotesTarget } from "../../src/audit/notes-target-local.js";
import { readNoteOf, readNotesCommit } from "../../src/audit/notes-tree.js";
import { publishNotes } from "../../src/audit/publish-notes.js";
import type { NotesTarget } from "../../src/audit/notes-target.js";

const REF = "refs/notes/gitdock";
let dir: string;
const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
  });

function commit(msg: string): string {
  writeFileSync(path.join(dir, "f"), msg);
  git("add", "f");
  git("commit", "-q", "-m", msg);
  return git("rev-parse", "HEAD").trim();
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gdt-audit-notes-"));
  git("init", "-q", "-b", "main");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("notes in a local repository", () => {
  it("many writers at once: every line ends up once in `git log --notes=gitdock`", async () => {
    const c1 = commit("one");
    const c2 = commit("two");
    const gitdir = path.join(dir, ".git");
    const hosts = ["h1", "h2", "h3", "h4", "h5", "h6"];
    const results = await Promise.all(
      hosts.map((h) =>
        publishNotes(
          new LocalNotesTarget({ gitdir, ref: REF, hostId: h }),
          [
            { commit: c1, line: `${h} applied 2026-11-22T14:02:11Z healthy` },
            { commit: c2, line: `${h} rolled-back 2026-11-22T14:03:40Z health: x` },
          ],
          { maxAttempts: 50, baseDelayMs: 2, maxDelayMs: 20 },
        ),
      ),
    );
    for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
    const n1 = git("notes", "--ref=gitdock", "show", c1).trim().split("\n");
    expect(n1.sort()).toEqual(hosts.map((h) => `${h} applied 2026-11-22T14:02:11Z healthy`).sort());
    const logged = git("log", "--notes=gitdock", "--format=%H%n%N");
    for (const h of hosts) {
      expect(logged.split(`${h} rolled-back 2026-11-22T14:03:40Z health: x`).length - 1).toBe(1);
      expect(logged.split(`${h} applied 2026-11-22T14:02:11Z healthy`).length - 1).toBe(1);
    }
    // Publishing the same lines again adds nothing.
    const again = await publishNotes(
      new LocalNotesTarget({ gitdir, ref: REF, hostId: "h1" }),
      [{ commit: c1, line: "h1 applied 2026-11-22T14:02:11Z healthy" }],
      { maxAttempts: 2 },
    );
    expect(again).toMatchObject({ ok: true, added: 0 });
  });

  it("reads a fanned-out notes tree written by git, keeps a person's note, and git still reads what gitdock wrote", async () => {
    const c1 = commit("one");
    git("notes", "--ref=gitdock", "add", "-m", "Reviewed by Ann", c1);
    // Rebuild that notes tree fanned out (ab/cdef…) as git does for large note sets.
    const flatTree = git("rev-parse", `${REF}^{tree}`).trim();
    const blob = git("ls-tree", flatTree).trim().split(/\s+/)[2]!;
    const sub = execFileSync("git", ["mktree"], { cwd: dir, input: `100644 blob ${blob}\t${c1.slice(2)}\n`, encoding: "utf8" }).trim();
    const root = execFileSync("git", ["mktree"], { cwd: dir, input: `040000 tree ${sub}\t${c1.slice(0, 2)}\n`, encoding: "utf8" }).trim();
    const fanned = git("commit-tree", root, "-p", git("rev-parse", REF).trim(), "-m", "fanout").trim();
    git("update-ref", REF, fanned);
    expect(git("notes", "--ref=gitdock", "show", c1).trim()).toBe("Reviewed by Ann");

    const snap = await readNotesCommit(path.join(dir, ".git"), fanned);
    expect(snap.notes.get(c1)).toEqual(["Reviewed by Ann"]);

    const r = await publishNotes(
      new LocalNotesTarget({ gitdir: path.join(dir, ".git"), ref: REF, hostId: "h1" }),
      [{ commit: c1, line: "h1 applied 2026-11-22T14:02:11Z healthy" }],
      { maxAttempts: 3 },
    );
    expect(r.ok).toBe(true);
    expect(git("notes", "--ref=gitdock", "show", c1)).toBe("Reviewed by Ann\nh1 applied 2026-11-22T14:02:11Z healthy\n");
    expect(git("log", "-1", "--notes=gitdock", "--format=%N", c1)).toContain("h1 applied");
    git("fsck", "--strict", "--no-dangling");
  });

  it("retries a lost race and gives up, without throwing, on a target that keeps refusing", async () => {
    let calls = 0;
    const flaky: NotesTarget = {
      where: "test",
      linesFor: async () => [],
      publishOnce: async () => (++calls < 3 ? { result: "race", added: 0 } : { result: "published", added: 1 }),
    };
    expect(await publishNotes(flaky, [], { maxAttempts: 5, baseDelayMs: 1 })).toEqual({ ok: true, added: 1, attempts: 3 });
    const down: NotesTarget = {
      where: "test",
      linesFor: async () => [],
      publishOnce: async () => Promise.reject(Object.assign(new Error("refused"), { data: { statusCode: 403 } })),
    };
    expect(await publishNotes(down, [], { maxAttempts: 5 })).toEqual({ ok: false, attempts: 1, error: "refused (HTTP 403)" });
    const racing: NotesTarget = { where: "test", linesFor: async () => [], publishOnce: async () => ({ result: "race", added: 0 }) };
    expect(await publishNotes(racing, [], { maxAttempts: 3, baseDelayMs: 1 })).toMatchObject({ ok: false, attempts: 3 });
  });

  it("reads one commit's note alone, flat or fanned out by git, as the whole tree has it", async () => {
    // 300 commits with a note each: git fast-import fans the notes tree out (ab/cdef…).
    const stream: string[] = [];
    for (let i = 1; i <= 300; i++)
      stream.push(`commit refs/heads/many\nmark :${i}\ncommitter t <t@t> ${i} +0000\ndata 2\nc\n${i > 1 ? `from :${i - 1}\n` : ""}`);
    stream.push("commit refs/notes/many\ncommitter t <t@t> 0 +0000\ndata 2\nn\n");
    for (let i = 1; i <= 300; i++) {
      const text = `web-${i} applied 2026-11-27T10:00:00Z healthy\n`;
      stream.push(`N inline :${i}\ndata ${Buffer.byteLength(text)}\n${text}`);
    }
    execFileSync("git", ["fast-import", "--quiet"], { cwd: dir, input: stream.join("\n") });
    const gitdir = path.join(dir, ".git");
    const tip = git("rev-parse", "refs/notes/many").trim();
    expect(git("ls-tree", "--name-only", tip).split("\n")[0]).toMatch(/^[0-9a-f]{2}$/);
    const all = await readNotesCommit(gitdir, tip);
    const some = git("rev-list", "--max-count=5", "refs/heads/many").trim().split("\n");
    for (const c of some) expect(await readNoteOf(gitdir, tip, c)).toEqual(all.notes.get(c));
    expect(await readNoteOf(gitdir, tip, "0".repeat(40))).toEqual([]);
  });
});
