import { createHash } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { GENESIS, Journal, verifyJournal, type JournalEntry } from "../../src/state/journal.js";

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitdock-journal-"));
  file = join(dir, "journal.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function collect(j: Journal): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for await (const e of j.entries()) out.push(e);
  return out;
}

/** A journal of `n` entries, returned as its lines. */
async function journalOf(n: number): Promise<string[]> {
  const j = await Journal.open(dir);
  for (let i = 1; i <= n; i++) {
    await j.append({ commit: `c${i}`, stack: "web", service: "app", action: "replace", outcome: "ok", durationMs: i });
  }
  return lines();
}

async function lines(): Promise<string[]> {
  const text = await readFile(file, "utf8");
  return text.split("\n").slice(0, text.endsWith("\n") ? -1 : undefined);
}

async function writeLines(ls: string[], terminated = true): Promise<void> {
  await writeFile(file, ls.join("\n") + (terminated ? "\n" : ""));
}

describe("Journal", () => {
  it("appends entries and reads them back, chained from the genesis hash", async () => {
    const j = await Journal.open(dir);
    expect(j.tornTail).toBeUndefined();
    const a = await j.append({ commit: "c1", action: "sync", outcome: "started", time: "2026-11-22T14:00:00.000Z" });
    const b = await j.append({
      commit: "c1",
      stack: "web",
      service: "app",
      container: "web-app-1",
      action: "replace",
      reason: "image changed",
      outcome: "ok",
      durationMs: 1234,
      data: { digest: "sha256:abc", nested: { n: 1 } },
    });
    expect(a).toMatchObject({ seq: 1, prev: GENESIS, time: "2026-11-22T14:00:00.000Z" });
    const ls = await lines();
    expect(b.seq).toBe(2);
    expect(b.prev).toBe(sha(ls[0]!));
    expect(await collect(j)).toEqual([a, b].map((e) => JSON.parse(JSON.stringify(e))));
    expect(JSON.parse(ls[1]!)).toEqual(JSON.parse(JSON.stringify(b)));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("continues seq and chain after reopening", async () => {
    await journalOf(3);
    const j = await Journal.open(dir);
    const e = await j.append({ commit: "c4", action: "sync", outcome: "ok" });
    expect(e.seq).toBe(4);
    expect(e.prev).toBe(sha((await lines())[2]!));
    expect(await verifyJournal(dir)).toEqual({ ok: true, lines: 4, problems: [] });
  });

  it("appendMany writes a batch in one go", async () => {
    const j = await Journal.open(dir);
    const es = await j.appendMany([
      { commit: "c1", action: "stop", outcome: "ok" },
      { commit: "c1", action: "rename", outcome: "ok" },
      { commit: "c1", action: "create", outcome: "ok" },
    ]);
    expect(es.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await verifyJournal(dir)).ok).toBe(true);
  });

  it("concurrent appends, from two Journal objects too, keep the chain valid", async () => {
    const a = await Journal.open(dir);
    const b = await Journal.open(dir);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).append({ commit: `c${i}`, action: "health", outcome: "healthy" })));
    expect(results.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await verifyJournal(dir)).toEqual({ ok: true, lines: 100, problems: [] });
  });

  it("entries() can be stopped early", async () => {
    await journalOf(5);
    const j = await Journal.open(dir);
    const seen: number[] = [];
    for await (const e of j.entries()) {
      seen.push(e.seq);
      if (e.seq === 2) break;
    }
    expect(seen).toEqual([1, 2]);
  });

  it("refuses data that is not JSON and writes nothing", async () => {
    const j = await Journal.open(dir);
    await expect(j.append({ commit: "c1", action: "sync", outcome: "ok", data: { n: 1n } })).rejects.toBeInstanceOf(StateError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(j.append({ commit: "c1", action: "sync", outcome: "ok", data: circular })).rejects.toBeInstanceOf(StateError);
    expect((await j.append({ commit: "c1", action: "sync", outcome: "ok" })).seq).toBe(1);
  });

  it("a large journal opens by reading only its tail", async () => {
    const big = "x".repeat(2000);
    const j = await Journal.open(dir);
    await j.appendMany(Array.from({ length: 200 }, (_, i) => ({ commit: `c${i}`, action: "sync", outcome: "ok", reason: big })));
    const reopened = await Journal.open(dir);
    expect((await reopened.append({ commit: "last", action: "sync", outcome: "ok" })).seq).toBe(201);
    expect((await verifyJournal(dir)).ok).toBe(true);
  });
});

describe("verifyJournal", () => {
  it("passes on a missing, an empty and a good journal", async () => {
    expect(await verifyJournal(dir)).toEqual({ ok: true, lines: 0, problems: [] });
    await writeFile(file, "");
    expect(await verifyJournal(dir)).toEqual({ ok: true, lines: 0, problems: [] });
    await journalOf(5);
    expect(await verifyJournal(dir)).toEqual({ ok: true, lines: 5, problems: [] });
  });

  it.each([1, 3, 5])("reports an edited line %i", async (n) => {
    const ls = await journalOf(6);
    ls[n - 1] = ls[n - 1]!.replace('"outcome":"ok"', '"outcome":"failed"');
    await writeLines(ls);
    const r = await verifyJournal(dir);
    expect(r.ok).toBe(false);
    expect(r.firstProblem).toMatchObject({ line: n, kind: "edited" });
    expect(r.problems).toHaveLength(1);
  });

  it("reports an edited seq on the line that was edited, once", async () => {
    const ls = await journalOf(6);
    ls[2] = ls[2]!.replace('"seq":3', '"seq":9');
    await writeLines(ls);
    const r = await verifyJournal(dir);
    expect(r.firstProblem).toMatchObject({ line: 3, kind: "edited" });
    expect(r.problems).toHaveLength(1);
  });

  it("reports an edited line that breaks its JSON as unparsable", async () => {
    const ls = await journalOf(4);
    ls[1] = ls[1]!.slice(0, 20);
    await writeLines(ls);
    const r = await verifyJournal(dir);
    expect(r.firstProblem).toMatchObject({ line: 2, kind: "unparsable" });
    expect(r.problems).toHaveLength(1);
  });

  it.each([
    { deleted: [2], line: 2, message: /1 entry \(seq 2\) is missing between line 1 and line 2/ },
    { deleted: [3, 4], line: 3, message: /2 entries \(seq 3–4\) are missing between line 2 and line 3/ },
    { deleted: [1], line: 1, message: /missing before line 1/ },
  ])("reports deleted lines $deleted as missing at line $line", async ({ deleted, line, message }) => {
    const ls = await journalOf(6);
    await writeLines(ls.filter((_, i) => !deleted.includes(i + 1)));
    const r = await verifyJournal(dir);
    expect(r.firstProblem).toMatchObject({ line, kind: "missing" });
    expect(r.firstProblem?.message).toMatch(message);
    expect(r.problems).toHaveLength(1);
  });

  it("reports a file truncated in the middle of a line as torn", async () => {
    await journalOf(4);
    const size = (await stat(file)).size;
    await truncate(file, size - 30);
    const r = await verifyJournal(dir);
    expect(r).toMatchObject({ ok: false, lines: 4, firstProblem: { line: 4, kind: "torn" } });
    expect(r.problems).toHaveLength(1);
  });

  it("reports a last line without its newline as torn even if it parses", async () => {
    await journalOf(3);
    await truncate(file, (await stat(file)).size - 1);
    expect((await verifyJournal(dir)).firstProblem).toMatchObject({ line: 3, kind: "torn" });
  });

  it("reports lines cut from the end once a checkpoint was taken", async () => {
    const ls = await journalOf(5);
    await (await Journal.open(dir)).checkpoint();
    expect((await verifyJournal(dir)).ok).toBe(true);
    await writeLines(ls.slice(0, 3));
    const r = await verifyJournal(dir);
    expect(r.firstProblem).toMatchObject({ line: 4, kind: "missing" });
    expect(r.firstProblem?.message).toMatch(/ends at seq 3 .* recorded seq 5/);
  });

  it("reports an edited last line once a checkpoint was taken", async () => {
    const ls = await journalOf(3);
    await (await Journal.open(dir)).checkpoint();
    ls[2] = ls[2]!.replace('"outcome":"ok"', '"outcome":"healthy"');
    await writeLines(ls);
    expect((await verifyJournal(dir)).firstProblem).toMatchObject({ line: 3, kind: "edited" });
  });

  it("reports reordered lines as a seq gap", async () => {
    const ls = await journalOf(5);
    [ls[2], ls[3]] = [ls[3]!, ls[2]!];
    await writeLines(ls);
    // seq 4 arrives where 3 belongs (it looks like 3 was removed), then 3 comes after 4
    expect((await verifyJournal(dir)).problems.map((p) => [p.line, p.kind])).toEqual([
      [3, "missing"],
      [4, "seq-gap"],
      [5, "missing"],
    ]);
  });

  it("reports only the first problem as firstProblem when there are several", async () => {
    const ls = await journalOf(8);
    ls[1] = ls[1]!.replace('"outcome":"ok"', '"outcome":"x"');
    await writeLines(ls.filter((_, i) => i !== 5));
    const r = await verifyJournal(dir);
    expect(r.firstProblem).toMatchObject({ line: 2, kind: "edited" });
    expect(r.problems.map((p) => [p.line, p.kind])).toEqual([
      [2, "edited"],
      [6, "missing"],
    ]);
  });
});

describe("torn tail", () => {
  it("open reports it; the next append records the gap, keeps the fragment, and the chain verifies across it", async () => {
    const ls = await journalOf(3);
    const fragment = ls[2]!.slice(0, 25);
    await writeLines([ls[0]!, ls[1]!, fragment], false);

    const j = await Journal.open(dir);
    expect(j.tornTail).toEqual({ line: 3, text: fragment });
    expect(await verifyJournal(dir)).toMatchObject({ ok: false, lines: 3, firstProblem: { line: 3, kind: "torn" }, interruptedAt: { line: 3, seq: 3 } });

    const e = await j.append({ commit: "c3", action: "sync", outcome: "ok" });
    const after = await lines();
    expect(after).toHaveLength(5);
    expect(after[2]).toBe(fragment); // kept as found
    // The gap entry takes seq 3 and names the last good line and the fragment, by length and hash.
    expect(JSON.parse(after[3]!)).toMatchObject({
      seq: 3,
      commit: "",
      action: "journal-gap",
      outcome: "recorded",
      prev: sha(fragment),
      data: { after: { seq: 2, hash: sha(ls[1]!) }, cut: [{ bytes: 25, sha256: sha(fragment) }] },
    });
    expect(JSON.parse(after[3]!).data.lost).toBeUndefined(); // found on open: what else was lost is not known
    expect(e).toMatchObject({ seq: 4, prev: sha(after[3]!) });

    const r = await verifyJournal(dir);
    expect(r).toMatchObject({ ok: true, lines: 5, problems: [], interruptions: [{ line: 4, seq: 3, cutLines: [3] }] });
    expect(r.interruptions![0]!.message).toMatch(/interrupted before seq 3: line 3 cut short, kept as found; line 4 records the gap/);
    expect(r.interruptedAt).toBeUndefined();
    expect((await collect(await Journal.open(dir))).map((x) => x.seq)).toEqual([1, 2, 3, 4]);

    // Edits before, in and after the gap are still found.
    const edit = async (i: number, from: string, to: string) => {
      const copy = [...after];
      copy[i] = copy[i]!.replace(from, to);
      expect(copy[i]).not.toBe(after[i]);
      await writeLines(copy);
      const found = (await verifyJournal(dir)).problems.map((p) => [p.line, p.kind]);
      await writeLines(after);
      return found;
    };
    expect(await edit(0, '"outcome":"ok"', '"outcome":"no"')).toEqual([[1, "edited"]]);
    expect(await edit(1, '"outcome":"ok"', '"outcome":"no"')).toEqual([[2, "edited"]]);
    expect(await edit(2, '"seq":3', '"seq":7')).toEqual([[3, "edited"]]);
    expect(await edit(3, '"outcome":"recorded"', '"outcome":"nothing"')).toEqual([[4, "edited"]]);
    expect((await verifyJournal(dir)).ok).toBe(true);
    await (await Journal.open(dir)).append({ commit: "c5", action: "sync", outcome: "ok" });
    const ls6 = await lines();
    ls6[4] = ls6[4]!.replace('"outcome":"ok"', '"outcome":"no"');
    await writeLines(ls6);
    expect((await verifyJournal(dir)).problems.map((p) => [p.line, p.kind])).toEqual([[5, "edited"]]);
  });

  it("a torn line an older gitdock went on after, without a gap record, is reported as torn", async () => {
    const ls = await journalOf(2);
    const fragment = '{"seq":3,"time":"2026-11';
    const next = JSON.stringify({ seq: 3, time: "2026-11-22T14:00:00.000Z", commit: "c3", action: "sync", outcome: "ok", prev: sha(fragment) });
    await writeLines([...ls, fragment, next]);
    const r = await verifyJournal(dir);
    expect(r).toMatchObject({ ok: false, lines: 4, firstProblem: { line: 3, kind: "torn" } });
    expect(r.firstProblem?.message).toMatch(/went on at line 4/);
    expect(r.problems).toHaveLength(1);
  });

  it("a journal that is only a fragment", async () => {
    await writeFile(file, '{"seq":1,"ti');
    const j = await Journal.open(dir);
    expect(j.tornTail).toEqual({ line: 1, text: '{"seq":1,"ti' });
    const e = await j.append({ commit: "c1", action: "sync", outcome: "ok" });
    const gap = JSON.parse((await lines())[1]!);
    expect(gap).toMatchObject({ seq: 1, action: "journal-gap", prev: sha('{"seq":1,"ti'), data: { after: { seq: 0, hash: GENESIS } } });
    expect(e).toMatchObject({ seq: 2 });
    expect(await verifyJournal(dir)).toMatchObject({ ok: true, problems: [], interruptions: [{ line: 2, seq: 1, cutLines: [1] }] });
  });

  it("a terminated unparsable last line is reported by open and kept", async () => {
    const ls = await journalOf(2);
    await writeLines([...ls, "garbage"]);
    const j = await Journal.open(dir);
    expect(j.tornTail).toEqual({ line: 3, text: "garbage" });
    expect((await verifyJournal(dir)).firstProblem).toMatchObject({ line: 3, kind: "unparsable" });
    expect((await j.append({ commit: "c3", action: "sync", outcome: "ok" })).seq).toBe(3);
    expect(await lines()).toHaveLength(4);
  });

  it("a torn tail written by another process after open is noticed before appending", async () => {
    await journalOf(2);
    const j = await Journal.open(dir);
    await appendFile(file, '{"seq":3,"time":"2026');
    const e = await j.append({ commit: "c3", action: "sync", outcome: "ok" });
    expect(e.seq).toBe(4);
    expect(await lines()).toHaveLength(5);
    expect(await verifyJournal(dir)).toMatchObject({ ok: true, problems: [], interruptions: [{ line: 4, seq: 3, cutLines: [3] }] });
  });
});
