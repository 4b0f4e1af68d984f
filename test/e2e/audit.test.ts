/**
 * Audit: every host's outcome on the commits themselves (git notes), `gitdock history`, the
 * journal's tamper evidence and signed deployment markers — with three agents (three state
 * directories and host ids on one engine, each with its own stacks in the same repository)
 * against the real engine, registry and a Git server of this file's own that accepts pushes.
 * One scenario, in order: each step starts from what the previous one left.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, cp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startMarkerReceiver, type MarkerReceiver } from "../support/marker-receiver.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyBodySignature } from "../../src/audit/marker.js";
import { runGitdock } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const execFileP = promisify(execFile);
const P = "gdt-audit-";
const HOSTS = ["h1", "h2", "h3"] as const;
type HostName = (typeof HOSTS)[number];
const SECRET = "marker-secret-for-tests";
const probe = "    x-gitdock:\n      probe:\n        http: {port: 8080, path: /healthz}\n      health_timeout: 5s";

let server: GitServer;
let gitRoot: string;
let tmp: string;
let repo: ManifestRepo;
const hosts = {} as Record<HostName, TestHost>;
let receiver: MarkerReceiver;
const commits: Record<string, string> = {};

const project = (h: HostName) => `${P}${h}-web`;
const compose = (h: HostName, image: string, extra = "") => `name: ${project(h)}\nservices:\n  web:\n${webService(image, extra)}\n`;

async function writeAll(images: Record<HostName, string>, extra: Partial<Record<HostName, string>> = {}): Promise<void> {
  for (const h of HOSTS) await repo.write(`hosts/${h}/web/compose.yaml`, compose(h, images[h], extra[h]));
}

function run(h: HostName, command: string, extra: string[] = []) {
  return hosts[h].run(command, ["--config", path.join(tmp, `${h}.yaml`), ...extra]);
}

/** The three `gitdock sync` processes at the same time. */
async function syncAll(): Promise<Record<HostName, { code: number | null; stdout: string; stderr: string }>> {
  const results = await Promise.all(HOSTS.map((h) => run(h, "sync")));
  return Object.fromEntries(HOSTS.map((h, i) => [h, results[i]!])) as Record<HostName, (typeof results)[number]>;
}

/** `git log --notes=gitdock` in a fresh clone made with the real git CLI over HTTP: commit → note lines. */
async function notesFromFreshClone(): Promise<Map<string, string[]>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${P}clone-`));
  const git = (args: string[]) => execFileP("git", args, { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" } });
  try {
    await git(["clone", "-q", repo.url, "."]);
    await git(["fetch", "-q", "origin", "refs/notes/*:refs/notes/*"]).catch(() => undefined); // no notes yet is fine
    const { stdout } = await git(["log", "--notes=gitdock", "--format=%H%n%N%x00"]);
    const notes = new Map<string, string[]>();
    for (const block of stdout.split("\0")) {
      const [sha, ...lines] = block.trim().split("\n");
      if (sha) notes.set(sha, lines.filter(Boolean));
    }
    return notes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function outbox(h: HostName): Promise<{ commit: string; line: string }[]> {
  const text = await readFile(path.join(hosts[h].stateDir, "report-outbox.json"), "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as { notes: { commit: string; line: string }[] }).notes : [];
}

async function waitFor<T>(what: string, probeFn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probeFn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const line = (h: HostName, verb: string) => new RegExp(`^${P}${h} ${verb} \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ `);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), `${P}tmp-`));
  gitRoot = await mkdtemp(path.join(os.tmpdir(), `${P}git-`));
  server = await startGitServer(gitRoot);
  repo = await createManifestRepo(server, `${P}manifests`);

  receiver = await startMarkerReceiver();
  const hookUrl = receiver.url;
  await writeFile(path.join(tmp, "secret"), `${SECRET}\n`, { mode: 0o600 });

  for (const h of HOSTS) {
    hosts[h] = await createTestHost({ prefix: `${P}${h}-`, repo: repo.url, path: `hosts/${h}` });
    await writeFile(
      path.join(tmp, `${h}.yaml`),
      `report:\n  git_notes: true\n  notify:\n    url: ${hookUrl}\n    secret_file: ${path.join(tmp, "secret")}\n    max_attempts: 3\n`,
    );
  }
});

afterAll(async () => {
  for (const h of HOSTS) await hosts[h]?.dispose();
  await repo?.dispose();
  await server?.close();
  await receiver?.close();
  await rm(gitRoot, { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
});

describe("audit: git notes, history, journal verification and deployment markers", () => {
  it("three agents apply the same commits at once and each one's line lands on each commit exactly once", async () => {
    const { images } = testEnv();
    await writeAll({ h1: images["web-v1"], h2: images["web-v1"], h3: images["web-v1"] });
    commits.first = await repo.commit("first release");
    for (const [h, r] of Object.entries(await syncAll())) expect(r.code, `${h}: ${r.stderr}`).toBe(0);

    await writeAll({ h1: images["web-v2"], h2: images["web-v2"], h3: images["web-v2"] });
    commits.second = await repo.commit("web v2 everywhere");
    for (const [h, r] of Object.entries(await syncAll())) expect(r.code, `${h}: ${r.stderr}`).toBe(0);

    const notes = await notesFromFreshClone();
    for (const c of [commits.first, commits.second]) {
      const lines = notes.get(c) ?? [];
      expect(lines, `note on ${c}`).toHaveLength(3);
      for (const h of HOSTS) expect(lines.filter((l) => line(h, "applied").test(l) && / healthy sshsig:[A-Za-z0-9+/]+={0,2}$/.test(l))).toHaveLength(1);
    }
    for (const h of HOSTS) expect(await outbox(h)).toEqual([]);
  });

  it("a rollback shows up with its reason, and a rejection with its problem, next to a healthy host", async () => {
    const { images } = testEnv();
    await writeAll({ h1: images["web-unhealthy"], h2: images["web-v3"], h3: "127.0.0.1:5000/gitdock-test/web-v1:latest" }, { h1: probe });
    commits.mixed = await repo.commit("unhealthy on h1, v3 on h2, unpinned on h3");
    const r = await syncAll();
    expect(r.h1.code, r.h1.stderr).toBe(3);
    expect(r.h2.code, r.h2.stderr).toBe(0);
    expect(r.h3.code, r.h3.stderr).toBe(4);

    const lines = (await notesFromFreshClone()).get(commits.mixed) ?? [];
    expect(lines).toHaveLength(3);
    const h1 = lines.find((l) => line("h1", "rolled-back").test(l));
    expect(h1, lines.join("\n")).toMatch(/gdt-audit-h1-web-web-1.*http 404 on \/healthz/);
    expect(lines.filter((l) => line("h2", "applied").test(l))).toHaveLength(1);
    expect(lines.find((l) => line("h3", "rejected").test(l))).toMatch(
      /invalid: hosts\/h3\/web\/compose\.yaml:\d+:\d+: services\.web\.image: not pinned by digest/,
    );
  });

  it("the Git server refusing pushes blocks no deployment and loses nothing once it is back", async () => {
    const { images } = testEnv();
    await execFileP("git", ["config", "http.receivepack", "false"], { cwd: repo.bareDir });
    await writeAll({ h1: images["web-v1"], h2: images["web-v1"], h3: images["web-v1"] });
    commits.refused = await repo.commit("web v1 again, while pushes are refused");
    for (const [h, r] of Object.entries(await syncAll())) expect(r.code, `${h}: ${r.stderr}`).toBe(0);
    expect((await notesFromFreshClone()).get(commits.refused)).toEqual([]);
    for (const h of HOSTS) {
      expect((await outbox(h)).map((o) => o.commit)).toEqual([commits.refused]);
    }

    // Entirely down for a while: the sync fails on the fetch, and the outbox is kept.
    server.setDown(true);
    const down = await run("h1", "sync");
    expect(down.code).toBe(1);
    expect(await outbox("h1")).toHaveLength(1);
    server.setDown(false);

    // Back: the next pass publishes what waited, with nothing new to deploy.
    await execFileP("git", ["config", "http.receivepack", "true"], { cwd: repo.bareDir });
    for (const [h, r] of Object.entries(await syncAll())) {
      expect(r.code, `${h}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("already in sync");
    }
    const notes = await notesFromFreshClone();
    const lines = notes.get(commits.refused) ?? [];
    expect(lines).toHaveLength(3);
    for (const h of HOSTS) {
      expect(lines.filter((l) => line(h, "applied").test(l))).toHaveLength(1);
      expect(await outbox(h)).toEqual([]);
    }
    // Nothing earlier was lost or doubled on the way.
    expect(notes.get(commits.first!)).toHaveLength(3);
    expect(notes.get(commits.second!)).toHaveLength(3);
    expect(notes.get(commits.mixed!)).toHaveLength(3);
  });

  it("history matches the journal; a commit the branch moved past is superseded; --fetch deepens the shallow clone", async () => {
    const { images } = testEnv();
    await repo.write("hosts/h1/web/compose.yaml", compose("h1", images["web-v2"]));
    commits.skipped = await repo.commit("h1 v2 (never applied: the branch moves on)");
    await repo.write("hosts/h1/web/compose.yaml", compose("h1", images["web-v3"]));
    commits.last = await repo.commit("h1 v3");
    expect((await run("h1", "sync")).code).toBe(0);

    // The poll fetched the new head at depth 1: the skipped commit is not in the clone, and the
    // walk resumes past that gap from the commits h1 journaled, which the clone still holds.
    const offline = await run("h1", "history", ["--json"]);
    expect(offline.code, offline.stderr).toBe(0);
    const shallow = JSON.parse(offline.stdout) as HistoryJson;
    expect(shallow.complete).toBe(false);
    expect(shallow.commits.map((c) => c.commit)).toEqual([commits.last, commits.refused, commits.mixed, commits.second, commits.first]);
    expect(shallow.commits[0]).toMatchObject({ status: "healthy", needsFetch: ["changes"], changes: [] });
    expect(shallow.commits[2]).toMatchObject({ status: "rolled-back", subject: "unhealthy on h1, v3 on h2, unpinned on h3" });

    const deep = await run("h1", "history", ["--json", "--fetch"]);
    expect(deep.code, deep.stderr).toBe(0);
    const report = JSON.parse(deep.stdout) as HistoryJson;
    expect(report.complete).toBe(true);
    const status = Object.fromEntries(report.commits.map((c) => [c.commit, c.status]));
    expect(status).toEqual({
      [commits.last]: "healthy",
      [commits.skipped]: "superseded",
      [commits.refused!]: "healthy",
      [commits.mixed!]: "rolled-back",
      [commits.second!]: "healthy",
      [commits.first!]: "healthy",
    });
    const second = report.commits.find((c) => c.commit === commits.second)!;
    expect(second.changes).toEqual([
      { stack: project("h1"), service: "web", change: "changed", image: { from: images["web-v1"], to: images["web-v2"] }, aspects: ["image"] },
    ]);
    expect(second.author).toMatchObject({ name: "gitdock test", email: "test@gitdock.invalid" });
    expect(second.signature.status).toMatch(/unsigned|missing/);

    // Every event is the journal's line with that seq, and every verdict in the journal for a listed commit is shown.
    const journal = (await readFile(path.join(hosts.h1.stateDir, "journal.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as JournalLine);
    const bySeq = new Map(journal.map((e) => [e.seq, e]));
    for (const c of report.commits) {
      for (const e of c.events) {
        const j = bySeq.get(e.seq)!;
        expect(j).toMatchObject({ commit: c.commit, time: e.at });
        expect(j.reason).toBe(e.reason);
        expect(j.durationMs).toBe(e.durationMs);
      }
      if (c.appliedAt) expect(c.appliedAt).toBe(journal.find((j) => j.commit === c.commit && j.action !== "reject")!.time);
    }
    const verdicts = journal.filter((j) => (j.action === "sync" && j.outcome === "healthy") || (j.action === "rollback" && j.outcome === "rolled-back"));
    const shown = new Set(report.commits.flatMap((c) => c.events.map((e) => e.seq)));
    for (const v of verdicts) if (report.commits.some((c) => c.commit === v.commit)) expect(shown.has(v.seq), JSON.stringify(v)).toBe(true);

    const rolled = report.commits.find((c) => c.commit === commits.mixed)!;
    expect(rolled.events).toEqual([
      expect.objectContaining({ kind: "rolled-back", reason: expect.stringMatching(/http 404 on \/healthz/), durationMs: expect.any(Number) }),
    ]);
    const h3 = JSON.parse((await run("h3", "history", ["--json", "--fetch"])).stdout) as HistoryJson;
    expect(h3.commits.find((c) => c.commit === commits.mixed)).toMatchObject({ status: "rejected", invalid: expect.stringMatching(/not pinned by digest/) });

    // Filters, and the text form.
    const filtered = JSON.parse((await run("h1", "history", ["--json", "--stack", project("h1"), "--service", "nope"])).stdout) as HistoryJson;
    expect(filtered.commits).toEqual([]);
    const text = await run("h1", "history");
    expect(text.stdout).toContain("superseded: the branch moved past it before this host applied it");
    expect(text.stdout).toMatch(/rolled back \S+, rollback took [\d.]+ m?s: .*http 404 on \/healthz/);

    // A deepened clone does not change how the agent polls.
    expect((await run("h1", "sync")).stdout).toContain("already in sync");
  });

  it("a host that was not syncing while another host's commits landed still lists its own earlier deployments offline", async () => {
    // h2 did not sync the two h1-only commits above; its poll now fetches its new head at depth 1,
    // so its clone lacks the commits between that head and the last one it fetched.
    const { images } = testEnv();
    await repo.write("hosts/h2/web/compose.yaml", compose("h2", images["web-v2"]));
    commits.h2 = await repo.commit("h2 v2 again");
    expect((await run("h2", "sync")).code).toBe(0);

    const offline = await run("h2", "history", ["--json"]);
    expect(offline.code, offline.stderr).toBe(0);
    const shallow = JSON.parse(offline.stdout) as HistoryJson;
    expect(shallow.complete).toBe(false);
    expect(shallow.commits.map((c) => [c.commit, c.status])).toEqual([
      [commits.h2, "healthy"],
      [commits.refused, "healthy"],
      [commits.mixed, "healthy"],
      [commits.second, "healthy"],
      [commits.first, "healthy"],
    ]);
    expect(shallow.commits[0]).toMatchObject({ needsFetch: ["changes"], changes: [] });
    const refused = shallow.commits[1]!;
    expect(refused.needsFetch).toBeUndefined();
    expect(refused).toMatchObject({ subject: "web v1 again, while pushes are refused", author: { email: "test@gitdock.invalid" } });
    expect(refused.changes).toEqual([
      { stack: project("h2"), service: "web", change: "changed", image: { from: images["web-v3"], to: images["web-v1"] }, aspects: ["image"] },
    ]);
    const text = await run("h2", "history");
    expect(text.stdout).toContain("missing    changes: not in the local clone; run `gitdock history --fetch`");
    expect(text.stdout).toContain("history is partial: the local clone is shallow");

    const deep = JSON.parse((await run("h2", "history", ["--json", "--fetch"])).stdout) as HistoryJson;
    expect(deep.complete).toBe(true);
    expect(deep.commits.map((c) => c.commit)).toEqual([commits.h2, commits.refused, commits.mixed, commits.second, commits.first]);
    expect(deep.commits[0]!.needsFetch).toBeUndefined();
    expect(deep.commits[0]!.changes).toEqual([
      { stack: project("h2"), service: "web", change: "changed", image: { from: images["web-v1"], to: images["web-v2"] }, aspects: ["image"] },
    ]);
  });

  it("history --verify passes an intact journal and finds an edited, a deleted and a truncated line", async () => {
    const intact = await run("h1", "history", ["--verify"]);
    expect(intact.code, intact.stdout + intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/hash chain intact/);

    const source = hosts.h1.stateDir;
    const lines = (await readFile(path.join(source, "journal.jsonl"), "utf8")).split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(6);
    const tampered = async (name: string, edit: (ls: string[]) => string): Promise<{ code: number | null; stdout: string }> => {
      const dir = path.join(tmp, `verify-${name}`);
      await cp(source, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}source`) && !src.includes(`${path.sep}notes`) });
      await writeFile(path.join(dir, "journal.jsonl"), edit([...lines]));
      return runGitdock(["history", "--verify", "--state-dir", dir]);
    };

    const edited = await tampered("edited", (ls) => {
      ls[2] = ls[2]!.replace(/"outcome":"[a-z-]+"/, '"outcome":"forged"');
      return `${ls.join("\n")}\n`;
    });
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/first problem: line 3 \(edited\)/);

    const deleted = await tampered("deleted", (ls) => `${ls.filter((_, i) => i !== 4).join("\n")}\n`);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(/first problem: line 5 \(missing\): 1 entry \(seq 5\) is missing between line 4 and line 5/);

    const truncated = await tampered("truncated", (ls) => {
      const text = `${ls.join("\n")}\n`;
      return text.slice(0, text.length - Math.floor(ls.at(-1)!.length / 2));
    });
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toMatch(/first problem: line \d+ \(torn\)/);
  });

  it("the notification receiver got one signed marker per outcome, and a forged one would not verify", async () => {
    // Outcomes so far: 3 (first) + 3 (second) + 3 (mixed) + 3 (refused) + 1 (h1 v3) + 1 (h2 v2 again).
    await waitFor(
      "14 markers",
      () => receiver.markers.length,
      (n) => n >= 14,
    );
    expect(receiver.markers).toHaveLength(14);
    for (const m of receiver.markers) expect(verifyBodySignature(m.body, m.signature, SECRET), m.body).toBe(true);

    const bodies = receiver.markers.map((m) => JSON.parse(m.body) as { host: string; commit: string; outcome: string; reason?: string; durationMs?: number });
    const rollback = bodies.find((b) => b.outcome === "rolled-back")!;
    expect(rollback).toMatchObject({ host: `${P}h1`, commit: commits.mixed, reason: expect.stringMatching(/http 404/), durationMs: expect.any(Number) });
    expect(bodies.find((b) => b.outcome === "rejected")).toMatchObject({ host: `${P}h3`, commit: commits.mixed });
    expect(bodies.filter((b) => b.commit === commits.refused && b.outcome === "healthy")).toHaveLength(3);

    const tampered = receiver.markers[0]!.body.replace('"healthy"', '"rolled-back"');
    expect(tampered).not.toBe(receiver.markers[0]!.body);
    expect(verifyBodySignature(tampered, receiver.markers[0]!.signature, SECRET)).toBe(false);
    expect(verifyBodySignature(receiver.markers[0]!.body, receiver.markers[0]!.signature, "another secret")).toBe(false);
  });
});

interface HistoryJson {
  complete: boolean;
  commits: {
    commit: string;
    subject?: string;
    status: string;
    needsFetch?: string[];
    appliedAt?: string;
    invalid?: string;
    author?: { name: string; email: string };
    signature: { status: string };
    changes: unknown[];
    events: { kind: string; at: string; seq: number; reason?: string; durationMs?: number }[];
  }[];
}

interface JournalLine {
  seq: number;
  time: string;
  commit: string;
  action: string;
  outcome: string;
  reason?: string;
  durationMs?: number;
}
