/**
 * `gitdock history` over a clone with gaps, as polls leave it: a real repository made with the
 * `git` CLI for two hosts, and a bare clone of it that fetched each new head at depth 1 (as the
 * agent's poll does), so a commit that landed while a host was not syncing is not in the clone.
 * The host's own journaled deployments beyond the gap must still be listed, with their details.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHistory, formatHistory } from "../../src/audit/history/index.js";
import { GENESIS, type JournalEntry } from "../../src/state/index.js";

let root: string;
let work: string;
let clone: string;
let when = 1_790_000_000;
const c: Record<string, string> = {};
const img = (n: string) => `127.0.0.1:5000/shop/web@sha256:${n.repeat(64)}`;
const compose = (image: string) => `services:\n  web:\n    image: ${image}\n`;

function git(cwd: string, ...args: string[]): string {
  const date = `@${when} +0000`;
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Ann",
      GIT_AUTHOR_EMAIL: "ann@example.com",
      GIT_COMMITTER_NAME: "Ann",
      GIT_COMMITTER_EMAIL: "ann@example.com",
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
}

function commit(msg: string, file: string, text: string): string {
  mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
  writeFileSync(path.join(work, file), text);
  when += 60;
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", msg);
  return git(work, "rev-parse", "HEAD").trim();
}

/** What a poll does with a new head: fetch it at depth 1 into the bare clone. */
function poll(): void {
  git(clone, "fetch", "-q", "--depth", "1", "origin", "+refs/heads/main:refs/heads/main");
}

let seq = 0;
const entry = (commitSha: string, action: string, outcome: string, more: Partial<JournalEntry> = {}): JournalEntry => ({
  seq: ++seq,
  time: new Date((when + seq) * 1000).toISOString(),
  commit: commitSha,
  action,
  outcome,
  prev: GENESIS,
  ...more,
});

/** h2's journal: it applied its first two commits, was not syncing while h1's commit landed, then applied its third. */
const h2Journal: JournalEntry[] = [];

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "gdt-audit-history-gaps-"));
  work = path.join(root, "work");
  clone = path.join(root, "clone.git");
  mkdirSync(work);
  git(work, "init", "-q", "-b", "main");
  c.h2v1 = commit("h2 v1", "hosts/h2/shop/compose.yaml", compose(img("1")));
  git(root, "clone", "-q", "--bare", "--depth", "1", `file://${work}`, clone);
  h2Journal.push(entry(c.h2v1, "create", "ok", { stack: "shop", service: "web" }), entry(c.h2v1, "sync", "healthy"));
  c.h2v2 = commit("h2 v2", "hosts/h2/shop/compose.yaml", compose(img("2")));
  poll();
  h2Journal.push(entry(c.h2v2, "replace", "ok", { stack: "shop", service: "web" }), entry(c.h2v2, "sync", "healthy"));
  c.h1 = commit("h1 only, while h2 is not syncing", "hosts/h1/shop/compose.yaml", compose(img("9")));
  c.h2v3 = commit("h2 v3", "hosts/h2/shop/compose.yaml", compose(img("3")));
  poll();
  h2Journal.push(entry(c.h2v3, "replace", "ok", { stack: "shop", service: "web" }), entry(c.h2v3, "sync", "healthy"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const h2History = (more: Partial<Parameters<typeof buildHistory>[0]> = {}) =>
  buildHistory({ gitdir: clone, head: c.h2v3!, path: "hosts/h2", branch: "main", host: "h2", journal: h2Journal, ...more });

describe("history across a gap in the shallow clone", () => {
  it("the clone really has the gap: the commit h2 did not sync is not in it", () => {
    expect(() => git(clone, "cat-file", "-e", c.h1!)).toThrow();
    expect(git(clone, "cat-file", "-t", c.h2v1!).trim()).toBe("commit");
  });

  it("lists the host's own earlier deployments beyond the gap, with their details from the clone", async () => {
    const r = await h2History();
    expect(r.commits.map((x) => [x.commit, x.subject, x.status])).toEqual([
      [c.h2v3, "h2 v3", "healthy"],
      [c.h2v2, "h2 v2", "healthy"],
      [c.h2v1, "h2 v1", "healthy"],
    ]);
    const [v3, v2, v1] = r.commits;
    expect(v3).toMatchObject({ baseline: null, needsFetch: ["changes"], changes: [] });
    expect(v2).toMatchObject({ replacedBy: c.h2v3, author: { name: "Ann", email: "ann@example.com" }, signature: { status: "unsigned" } });
    expect(v2!.changes).toEqual([{ stack: "shop", service: "web", change: "changed", image: { from: img("1"), to: img("2") }, aspects: ["image"] }]);
    expect(v2!.needsFetch).toBeUndefined();
    expect(v1!.changes).toEqual([{ stack: "shop", service: "web", change: "added", image: { to: img("1") }, aspects: [] }]);
    expect(r.complete).toBe(false);
    expect(r.boundary).toEqual([c.h2v3]);
  });

  it("says in the text which details need --fetch", async () => {
    const text = formatHistory(await h2History());
    expect(text).toContain("h2 v1");
    expect(text).toContain("missing    changes: not in the local clone; run `gitdock history --fetch`");
    expect(text).toMatch(/history is partial: the local clone is shallow and lacks the parents of [0-9a-f]{12} /);
  });

  it("keeps a commit whose changes are unknown under --stack, as it cannot be ruled out", async () => {
    const r = await h2History({ stack: "shop" });
    expect(r.commits.map((x) => x.commit)).toEqual([c.h2v3, c.h2v2, c.h2v1]);
    expect((await h2History({ stack: "blog" })).commits.map((x) => x.commit)).toEqual([c.h2v3]);
  });

  it("lists a journaled commit the clone lacks altogether from the journal, saying what needs --fetch", async () => {
    const gone = "f".repeat(40);
    // Applied before h2 v1, and since dropped from the clone (as a repack drops commits older than it keeps).
    const before = (s: number) => new Date(Date.parse(h2Journal[0]!.time) - s * 1000).toISOString();
    const journal = [
      entry(gone, "create", "ok", { time: before(20) }),
      entry(gone, "sync", "healthy", { time: before(10) }),
      ...h2Journal.map((e) => ({ ...e, seq: ++seq })),
    ];
    const r = await h2History({ journal });
    expect(r.commits.map((x) => x.commit)).toEqual([c.h2v3, c.h2v2, c.h2v1, gone]);
    expect(r.commits[3]).toEqual({
      commit: gone,
      changes: [],
      needsFetch: ["subject", "author", "committer", "signature", "changes"],
      status: "healthy",
      appliedAt: journal[0]!.time,
      events: [{ kind: "healthy", at: journal[1]!.time, seq: journal[1]!.seq }],
      until: journal[3]!.time,
      replacedBy: c.h2v1,
    });
    const text = formatHistory(r);
    expect(text).toContain(`${gone.slice(0, 12)}  (not in the local clone)`);
    expect(text).toContain("missing    subject, author, committer, signature, changes: not in the local clone; run `gitdock history --fetch`");
    expect(text).toContain("and 1 commit(s) this host journaled (listed from its journal)");
  });

  it("lists a journaled commit that did not touch the host's path (it ran it, changing nothing)", async () => {
    const full = path.join(work, ".git");
    const journal = [...h2Journal, entry(c.h1!, "sync", "healthy", { data: { changed: 0 } })];
    const r = await buildHistory({ gitdir: full, head: c.h2v3!, path: "hosts/h2", branch: "main", host: "h2", journal });
    expect(r.complete).toBe(true);
    expect(r.commits.map((x) => [x.subject, x.status])).toEqual([
      ["h2 v3", "healthy"],
      ["h1 only, while h2 is not syncing", "healthy"],
      ["h2 v2", "healthy"],
      ["h2 v1", "healthy"],
    ]);
    expect(r.commits[1]!.changes).toEqual([]);
  });
});
