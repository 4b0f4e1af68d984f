/**
 * `gitdock history` over a real local repository and a journal built in the test: which commits
 * are listed, what they changed, and which outcome each one gets (superseded included).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHistory, formatHistory, hostOutcomes, parseSince, type HistoryReport } from "../../src/audit/history/index.js";
import { GENESIS, type JournalEntry } from "../../src/state/index.js";

let dir: string;
const img = (n: string) => `127.0.0.1:5000/shop/web@sha256:${n.repeat(64)}`;
const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Ann",
      GIT_AUTHOR_EMAIL: "ann@example.com",
      GIT_COMMITTER_NAME: "Bob",
      GIT_COMMITTER_EMAIL: "bob@example.com",
    },
  });
let when = 1_790_000_000;
function commit(msg: string, files: Record<string, string>): string {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  git("add", "-A");
  const date = `@${(when += 60)} +0000`;
  execFileSync("git", ["commit", "-q", "--allow-empty", "-m", msg], {
    cwd: dir,
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Ann",
      GIT_AUTHOR_EMAIL: "ann@example.com",
      GIT_COMMITTER_NAME: "Bob",
      GIT_COMMITTER_EMAIL: "bob@example.com",
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
  return git("rev-parse", "HEAD").trim();
}
const compose = (web: string, env = "one", extra = "") => `services:\n  web:\n    image: ${web}\n    environment:\n      MODE: ${env}\n${extra}`;

const c: Record<string, string> = {};
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

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gdt-audit-history-"));
  git("init", "-q", "-b", "main");
  c.old = commit("before the host", { "hosts/h1/shop/compose.yaml": compose(img("0")) });
  c.first = commit("first", { "hosts/h1/shop/compose.yaml": compose(img("1")) });
  c.other = commit("another host only", { "hosts/h2/shop/compose.yaml": compose(img("9")) });
  c.env = commit("api env", { "hosts/h1/shop/compose.yaml": compose(img("1"), "two") });
  c.skipped = commit("skipped", { "hosts/h1/shop/compose.yaml": compose(img("2"), "two") });
  c.bad = commit("bad release", { "hosts/h1/shop/compose.yaml": compose(img("3"), "two") });
  c.invalid = commit("unpinned", { "hosts/h1/shop/compose.yaml": compose("127.0.0.1:5000/shop/web:latest", "two") });
  c.fix = commit("fix", { "hosts/h1/shop/compose.yaml": compose(img("4"), "two"), "hosts/h1/blog/compose.yaml": compose(img("5")) });
  c.next = commit("not applied yet", { "hosts/h1/blog/compose.yaml": compose(img("6")) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function journal(): JournalEntry[] {
  seq = 0;
  return [
    entry(c.first!, "create", "ok", { stack: "shop", service: "web", container: "shop-web-1" }),
    entry(c.first!, "sync", "healthy"),
    entry(c.env!, "replace", "ok", { stack: "shop", service: "web", container: "shop-web-1" }),
    entry(c.env!, "sync", "healthy"),
    entry(c.env!, "sync", "repaired"),
    entry(c.bad!, "replace", "ok"),
    entry(c.bad!, "rollback", "rolled-back", { reason: "health gate failed: shop-web-1: probe: http 404 on /healthz", durationMs: 640 }),
    entry(c.invalid!, "reject", "rejected", {
      reason: "1 problem(s) in the manifest:\nhosts/h1/shop/compose.yaml:3:12: services.web.image: not pinned by digest",
    }),
    entry(c.fix!, "create", "ok"),
    entry(c.fix!, "sync", "healthy"),
  ];
}

async function history(opts: Partial<Parameters<typeof buildHistory>[0]> = {}): Promise<HistoryReport> {
  return buildHistory({ gitdir: path.join(dir, ".git"), head: c.next!, path: "hosts/h1", branch: "main", host: "h1", journal: journal(), ...opts });
}

describe("history", () => {
  it("lists the commits that touched the path, newest first, with this host's outcome for each", async () => {
    const r = await history();
    expect(r.complete).toBe(true);
    expect(r.commits.map((x) => [x.subject, x.status])).toEqual([
      ["not applied yet", "pending"],
      ["fix", "healthy"],
      ["unpinned", "rejected"],
      ["bad release", "rolled-back"],
      ["skipped", "superseded"],
      ["api env", "healthy"],
      ["first", "healthy"],
      ["before the host", "before-host"],
    ]);
    const byMsg = Object.fromEntries(r.commits.map((x) => [x.subject, x]));
    expect(byMsg["bad release"]!.events).toEqual([
      { kind: "rolled-back", at: expect.any(String), reason: "health gate failed: shop-web-1: probe: http 404 on /healthz", durationMs: 640, seq: 7 },
    ]);
    expect(byMsg["api env"]).toMatchObject({ repairs: 1, replacedBy: c.fix, appliedAt: journal()[2]!.time });
    expect(byMsg.first).toMatchObject({ replacedBy: c.env });
    expect(byMsg.fix!.until).toBeUndefined();
    expect(byMsg.first!.author).toMatchObject({ name: "Ann", email: "ann@example.com" });
    expect(byMsg.first!.committer).toMatchObject({ name: "Bob", email: "bob@example.com" });
    expect(byMsg.first!.signature).toEqual({ status: "unsigned" });
  });

  it("reports the services and digests each commit changed, against the last valid manifest", async () => {
    const r = await history();
    const byMsg = Object.fromEntries(r.commits.map((x) => [x.subject, x]));
    expect(byMsg["api env"]!.changes).toEqual([{ stack: "shop", service: "web", change: "changed", aspects: ["environment"] }]);
    expect(byMsg["bad release"]!.changes).toEqual([
      { stack: "shop", service: "web", change: "changed", image: { from: img("2"), to: img("3") }, aspects: ["image"] },
    ]);
    expect(byMsg.unpinned!.invalid).toMatch(/hosts\/h1\/shop\/compose\.yaml:\d+:\d+: services\.web\.image: not pinned by digest/);
    expect(byMsg.fix!.baseline).toBe(c.bad);
    expect(byMsg.fix!.changes).toEqual([
      { stack: "blog", service: "web", change: "added", image: { to: img("5") }, aspects: [] },
      { stack: "shop", service: "web", change: "changed", image: { from: img("3"), to: img("4") }, aspects: ["image"] },
    ]);
  });

  it("filters by stack, service and time", async () => {
    expect((await history({ stack: "blog" })).commits.map((x) => x.subject)).toEqual(["not applied yet", "fix"]);
    expect((await history({ service: "nope" })).commits).toEqual([]);
    const since = new Date((when - 120) * 1000); // the last three commits
    expect((await history({ since })).commits.map((x) => x.subject)).toEqual(["not applied yet", "fix", "unpinned"]);
  });

  it("formats as text for people", async () => {
    const text = formatHistory(await history());
    expect(text).toContain("host h1 · path hosts/h1 · main at");
    expect(text).toMatch(/rolled back .*, rollback took 640 ms: health gate failed: shop-web-1: probe: http 404 on \/healthz/);
    expect(text).toContain("superseded: the branch moved past it before this host applied it");
    expect(text).toMatch(/shop\/web image sha256:222222222222… → 127\.0\.0\.1:5000\/shop\/web@sha256:3{64}/);
  });

  it("in a shallow clone, lists the journaled commits it lacks from the journal and says what needs --fetch", async () => {
    const shallow = mkdtempSync(path.join(os.tmpdir(), "gdt-audit-shallow-"));
    try {
      execFileSync("git", ["clone", "-q", "--bare", "--depth", "2", `file://${dir}`, shallow]);
      const r = await buildHistory({ gitdir: shallow, head: c.next!, path: "hosts/h1", branch: "main", host: "h1", journal: journal() });
      expect(r.complete).toBe(false);
      expect(r.boundary).toEqual([c.fix]);
      expect(r.commits.map((x) => [x.commit, x.subject, x.status])).toEqual([
        [c.next, "not applied yet", "pending"],
        [c.fix, "fix", "healthy"],
        [c.invalid, undefined, "rejected"],
        [c.bad, undefined, "rolled-back"],
        [c.env, undefined, "healthy"],
        [c.first, undefined, "healthy"],
      ]);
      expect(r.commits[1]).toMatchObject({ baseline: null, needsFetch: ["changes"] });
      for (const x of r.commits.slice(2)) expect(x.needsFetch).toEqual(["subject", "author", "committer", "signature", "changes"]);
      expect(r.commits[3]!.events).toEqual([expect.objectContaining({ kind: "rolled-back", durationMs: 640 })]);
      expect(r.commits[4]).toMatchObject({ repairs: 1, replacedBy: c.fix });
      const text = formatHistory(r);
      expect(text).toContain("missing    subject, author, committer, signature, changes: not in the local clone; run `gitdock history --fetch`");
      expect(text).toContain("Run `gitdock history --fetch");
      // The skipped commit is neither journaled nor in the clone: nothing can list it.
      expect(r.commits.map((x) => x.commit)).not.toContain(c.skipped);
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });
});

describe("hostOutcomes", () => {
  it("ignores entries without a verdict and commits that are not SHAs", () => {
    const entries = [entry("unknown", "recover", "ok"), entry("a".repeat(40), "create", "failed")];
    const o = hostOutcomes(entries);
    expect(o.byCommit.get("a".repeat(40))).toMatchObject({ firstAt: entries[1]!.time, events: [], repairs: 0 });
    expect(o.byCommit.has("unknown")).toBe(false);
  });
});

describe("parseSince", () => {
  it("takes dates and ages", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    expect(parseSince("2026-11-01", now).toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(parseSince("12h", now).toISOString()).toBe("2026-11-22T00:00:00.000Z");
    expect(parseSince("2w", now).toISOString()).toBe("2026-11-08T12:00:00.000Z");
    expect(() => parseSince("last tuesday")).toThrow(/expected a date/);
  });
});
