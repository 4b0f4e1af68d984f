/**
 * A journal write that fails: a real ENOSPC on a small tmpfs (the tests run as root), then the
 * gap record the next write begins with, and what verify makes of it, forged gaps included.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { open, mkdtemp, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { formatVerify } from "../../src/audit/history/format-verify.js";
import { StateError } from "../../src/errors.js";
import { GENESIS, Journal, verifyJournal } from "../../src/state/journal.js";

const run = promisify(execFile);
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A 64 KiB tmpfs, unmounted after the test: a disk that really fills up. */
async function smallDisk(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gitdock-small-disk-"));
  await run("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir]);
  cleanups.push(async () => {
    await run("umount", [dir]);
    await rmdir(dir);
  });
  return dir;
}

/** Fills the disk to the last page with a file; returns a function that frees it. */
async function fill(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, "filler");
  const fh = await open(path, "w");
  try {
    const page = Buffer.alloc(4096, 1);
    for (;;) await fh.write(page);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
  } finally {
    await fh.close();
  }
  return () => rm(path);
}

async function linesOf(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, "journal.jsonl"), "utf8");
  return text.split("\n").slice(0, text.endsWith("\n") ? -1 : undefined);
}

const entry = (commit: string, extra: Record<string, unknown> = {}) => ({
  commit,
  stack: "shop",
  service: "web",
  container: "shop-web-1",
  action: "undo",
  outcome: "ok",
  ...extra,
});

describe("a journal write that runs out of space", () => {
  it("leaves the journal interrupted at the torn line; the next write records the gap and the chain verifies across it", async () => {
    const disk = await smallDisk();
    const j = await Journal.open(disk);
    for (const c of ["c1", "c2", "c3"]) await j.append(entry(c));
    const sizeBefore = (await stat(join(disk, "journal.jsonl"))).size;
    expect(sizeBefore % 4096).not.toBe(0); // the last page has room: the next long line is cut at its end
    const free = await fill(disk);

    const failed = await j.append(entry("c4", { reason: "r".repeat(5000) })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StateError);
    expect(((failed as StateError).cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    expect((failed as StateError).message).toMatch(/cannot append to .*journal\.jsonl/);
    await expect(j.append(entry("c5"))).rejects.toBeInstanceOf(StateError); // nothing fits any more

    const torn = (await linesOf(disk))[3]!;
    expect(torn.length).toBe(4096 - sizeBefore); // the page was filled, the rest of the line is gone
    const interrupted = await verifyJournal(disk);
    expect(interrupted).toMatchObject({ ok: false, lines: 4, firstProblem: { line: 4, kind: "torn" }, interruptedAt: { line: 4, seq: 4 } });
    expect(formatVerify(interrupted, disk).split("\n")[0]).toBe(
      `journal ${disk}/journal.jsonl: 4 line(s), INTERRUPTED at line 4 (seq 4): its last write was cut short (a full disk, an I/O error or a crash), no sign of an edit`,
    );

    await free();
    const resumed = await j.append(entry("c6"));
    expect(resumed.seq).toBe(5);
    const lines = await linesOf(disk);
    expect(lines).toHaveLength(6);
    expect(lines[3]).toBe(torn);
    const gap = JSON.parse(lines[4]!);
    expect(gap).toMatchObject({
      seq: 4,
      action: "journal-gap",
      outcome: "recorded",
      prev: sha(torn),
      data: {
        after: { seq: 3, hash: sha(lines[2]!) },
        cut: [{ bytes: torn.length, sha256: sha(torn) }],
        lost: {
          error: "ENOSPC",
          count: 2,
          entries: [
            { commit: "c4", action: "undo", container: "shop-web-1" },
            { commit: "c5", action: "undo" },
          ],
        },
      },
    });
    expect(gap.reason).toMatch(
      /^the journal was interrupted before seq 4: journal writes failed \(ENOSPC\) from \S+: 2 entries were not written; 1 line\(s\) cut short, kept as found$/,
    );

    const r = await verifyJournal(disk);
    expect(r).toMatchObject({ ok: true, lines: 6, problems: [], interruptions: [{ line: 5, seq: 4, cutLines: [4] }] });
    expect(r.interruptions![0]!.message).toMatch(/ENOSPC/);
    expect(formatVerify(r, disk).split("\n")).toEqual([
      `journal ${disk}/journal.jsonl: 6 line(s), hash chain intact across 1 recorded interruption(s):`,
      expect.stringMatching(
        /^ {2}line 5 +interrupted before seq 4: line 4 cut short, kept as found; line 5 records the gap: journal writes failed \(ENOSPC\) from \S+: 2 entries were not written$/,
      ),
    ]);

    // The gap hides nothing: an edit before it, of the torn line, or after it is found.
    const tamper = async (i: number, to: (l: string) => string) => {
      await writeFile(join(disk, "journal.jsonl"), `${lines.map((l, k) => (k === i ? to(l) : l)).join("\n")}\n`);
      const found = (await verifyJournal(disk)).problems.map((p) => [p.line, p.kind]);
      await writeFile(join(disk, "journal.jsonl"), `${lines.join("\n")}\n`);
      return found;
    };
    expect(await tamper(1, (l) => l.replace('"outcome":"ok"', '"outcome":"failed"'))).toEqual([[2, "edited"]]);
    await writeFile(join(disk, "journal.jsonl"), `${lines.map((l, k) => (k === 1 ? l.replace('"outcome":"ok"', '"outcome":"failed"') : l)).join("\n")}\n`);
    expect(formatVerify(await verifyJournal(disk), disk)).toMatch(/^journal \S+: 6 line\(s\), BROKEN\nfirst problem: line 2 \(edited\)/);
    await writeFile(join(disk, "journal.jsonl"), `${lines.join("\n")}\n`);
    expect(await tamper(2, (l) => l.replace('"outcome":"ok"', '"outcome":"failed"'))).toEqual([[3, "edited"]]);
    expect(await tamper(3, (l) => l.replace('"commit":"c4"', '"commit":"c9"'))).toEqual([[4, "edited"]]);
    expect(await tamper(5, (l) => l.replace('"commit":"c6"', '"commit":"c9"'))).toEqual([]); // the last line: only the checkpoint covers it
    await j.checkpoint();
    expect(await tamper(5, (l) => l.replace('"commit":"c6"', '"commit":"c9"'))).toEqual([[6, "edited"]]);
    expect(await verifyJournal(disk)).toMatchObject({ ok: true });
  });

  it("a write that fails before any byte reaches the disk is recorded by the next one", async () => {
    const disk = await smallDisk();
    const free = await fill(disk);
    const j = await Journal.open(disk);
    await expect(j.append(entry("c1"))).rejects.toBeInstanceOf(StateError);
    expect(await verifyJournal(disk)).toEqual({ ok: true, lines: 0, problems: [] }); // nothing on disk says so yet
    await free();
    expect((await j.append(entry("c2"))).seq).toBe(2);
    const [gap] = await linesOf(disk);
    expect(JSON.parse(gap!)).toMatchObject({
      seq: 1,
      prev: GENESIS,
      data: { after: { seq: 0, hash: GENESIS }, cut: [], lost: { count: 1, entries: [{ commit: "c1" }] } },
    });
    expect(await verifyJournal(disk)).toMatchObject({ ok: true, lines: 2, interruptions: [{ line: 1, seq: 1, cutLines: [] }] });
  });

  it("another process that resumes the journal records the gap, without knowing what else was lost", async () => {
    const disk = await smallDisk();
    const first = await Journal.open(disk);
    await first.append(entry("c1"));
    const free = await fill(disk);
    await expect(first.append(entry("c2", { reason: "r".repeat(5000) }))).rejects.toBeInstanceOf(StateError);
    await free();

    const second = await Journal.open(disk);
    expect(second.tornTail).toMatchObject({ line: 2 });
    expect((await second.append(entry("c3"))).seq).toBe(3);
    const gap = JSON.parse((await linesOf(disk))[2]!);
    expect(gap.data.lost).toBeUndefined();
    expect(gap.reason).toBe(
      "the journal was interrupted before seq 2: a failed write or a crash; what else was not written is not known; 1 line(s) cut short, kept as found",
    );
    expect(await verifyJournal(disk)).toMatchObject({ ok: true, interruptions: [{ line: 3, seq: 2, cutLines: [2] }] });
  });
});

describe("a forged gap record", () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function journalOf(n: number): Promise<string[]> {
    dir = await mkdtemp(join(tmpdir(), "gitdock-journal-gap-"));
    const j = await Journal.open(dir);
    for (let i = 1; i <= n; i++) await j.append(entry(`c${i}`));
    return linesOf(dir);
  }
  const forged = (seq: number, after: { seq: number; hash: string }, prev: string, cut: { bytes: number; sha256: string }[] = []) =>
    JSON.stringify({
      seq,
      time: "2026-11-22T14:00:00.000Z",
      commit: "",
      action: "journal-gap",
      reason: "a write failed",
      outcome: "recorded",
      data: { after, cut },
      prev,
    });

  it("cannot name more lines than a failed write leaves: a long run of garbage is reported line by line", async () => {
    const ls = await journalOf(2);
    const garbage = Array.from({ length: 20 }, (_, i) => `garbage ${i}`);
    const cut = garbage.map((g) => ({ bytes: g.length, sha256: sha(g) }));
    await writeFile(join(dir, "journal.jsonl"), `${[...ls, ...garbage, forged(3, { seq: 2, hash: sha(ls[1]!) }, sha(garbage.at(-1)!), cut)].join("\n")}\n`);
    const r = await verifyJournal(dir);
    expect(r.ok).toBe(false);
    expect(r.interruptions).toBeUndefined();
    expect(r.problems.filter((p) => p.kind === "unparsable").map((p) => p.line)).toEqual(Array.from({ length: 3 }, (_, i) => i + 3));
    expect(r.problems.find((p) => p.line === 23)).toMatchObject({ kind: "edited" });
  });

  it("in place of a removed entry does not hide the removal", async () => {
    const ls = await journalOf(5);
    const gap = forged(3, { seq: 2, hash: sha(ls[1]!) }, sha(ls[1]!));
    await writeFile(join(dir, "journal.jsonl"), `${[ls[0], ls[1], gap, ls[3], ls[4]].join("\n")}\n`);
    const r = await verifyJournal(dir);
    expect(r.ok).toBe(false);
    expect(r.firstProblem).toMatchObject({ line: 3, kind: "edited" });
  });

  it("naming a cut line that is not there, or the wrong last entry, is reported", async () => {
    const ls = await journalOf(3);
    const fake = { bytes: 10, sha256: sha("0123456789") };
    await writeFile(join(dir, "journal.jsonl"), `${[...ls, forged(4, { seq: 3, hash: sha(ls[2]!) }, sha(ls[2]!), [fake])].join("\n")}\n`);
    expect((await verifyJournal(dir)).problems).toEqual([
      expect.objectContaining({ line: 4, kind: "edited", message: expect.stringMatching(/records 1 line\(s\) cut short before it, where 0 are/) }),
    ]);
    await writeFile(join(dir, "journal.jsonl"), `${[...ls, forged(4, { seq: 2, hash: sha(ls[1]!) }, sha(ls[2]!))].join("\n")}\n`);
    expect((await verifyJournal(dir)).problems).toEqual([
      expect.objectContaining({ line: 4, kind: "edited", message: expect.stringMatching(/after seq 2, but the last entry before it is seq 3/) }),
    ]);
  });
});
