import { open } from "node:fs/promises";
import { join } from "node:path";
import { StateError } from "../errors.js";
import { writeFileAtomic } from "./atomic-file.js";
import { formatEntry, GENESIS, lineHash, parseEntry, type JournalEntry, type JournalInput } from "./journal-entry.js";
import { gapToRecord, noteFailure, type WriteFailure } from "./journal-gap.js";
import { readLines, readTail, type JournalTail } from "./journal-lines.js";
import { serialized } from "./serial-queue.js";
import { ensureStateDir, STATE_FILES } from "./state-dir.js";

export { GENESIS, type JournalEntry, type JournalInput } from "./journal-entry.js";
export { verifyJournal, type VerifyProblem, type VerifyResult } from "./verify-journal.js";

/**
 * The append-only journal `journal.jsonl`: one JSON line per thing gitdock did on this host,
 * each carrying the sha256 of the line before it, so an edited, removed or cut line shows in
 * `verifyJournal`.
 *
 * SECRETS: the journal stores exactly what callers pass. Never pass environment values,
 * credentials, or anything read from env_files, in any field (`data` and `reason` included).
 *
 * Durability: each append is one write(2) of whole lines with O_APPEND followed by fsync, so a
 * crash leaves at most one torn last line, never a torn line in the middle. A write that fails
 * (a full disk, an I/O error) can leave a torn line too, or nothing. Either way the journal is
 * interrupted, not broken: a torn line is kept, not dropped or trusted (the next append first
 * ends it with a newline, so it stays in the file as its own line), and the next append begins
 * with a gap entry (journal-gap.ts) that names the last good entry and every line cut short by
 * length and hash, and says what this process knows was not written. Its `prev` is the hash of
 * the last line, so the chain still covers every byte, and verify accepts the gap only when it
 * matches the lines before it exactly.
 *
 * `checkpoint()` records the last entry's seq and hash in `journal.head`; with it, verify also
 * notices lines cut from the end of the journal, which the chain alone cannot show.
 */
export class Journal {
  readonly path: string;
  readonly headPath: string;
  /** The last line when the journal was opened, if it was unterminated or not a valid entry. */
  readonly tornTail: { line: number; text: string } | undefined;
  private tail: JournalTail;
  /** Writes that failed since the last one that succeeded (journal-gap.ts). */
  private failure: WriteFailure | undefined;

  private constructor(dir: string, tail: JournalTail) {
    this.path = join(dir, STATE_FILES.journal);
    this.headPath = join(dir, STATE_FILES.journalHead);
    this.tail = tail;
    this.tornTail = tail.torn;
  }

  static async open(stateDir: string): Promise<Journal> {
    const dir = await ensureStateDir(stateDir);
    const path = join(dir, STATE_FILES.journal);
    try {
      return new Journal(dir, await readTail(path));
    } catch (err) {
      throw journalError(`cannot read ${path}`, path, err);
    }
  }

  async append(e: JournalInput): Promise<JournalEntry> {
    const [entry] = await this.appendMany([e]);
    return entry!;
  }

  /** Appends entries in one write and one fsync. Concurrent calls in this process are queued. */
  appendMany(inputs: JournalInput[]): Promise<JournalEntry[]> {
    return serialized(this.path, () => this.write(inputs));
  }

  private async write(inputs: JournalInput[]): Promise<JournalEntry[]> {
    if (inputs.length === 0) return [];
    let fh;
    try {
      fh = await open(this.path, "a", 0o600);
    } catch (err) {
      this.failure = noteFailure(this.failure, err, inputs);
      throw journalError(`cannot open ${this.path}`, this.path, err);
    }
    let gap: JournalInput | undefined;
    let firstSeq = 0;
    try {
      // Another process (or a failed write of ours) changed the file since we last saw its end.
      if ((await fh.stat()).size !== this.tail.size) this.tail = await readTail(this.path);
      gap = gapToRecord(this.tail, this.failure);
      const batch = gap ? [gap, ...inputs] : inputs;
      firstSeq = (this.tail.lastEntry?.seq ?? 0) + 1;
      const { entries, lines, last } = buildLines(batch, firstSeq, this.tail.lastLineHash ?? GENESIS);
      const bytes = Buffer.from(`${this.tail.needsNewline ? "\n" : ""}${lines.join("\n")}\n`, "utf8");
      this.tail = { ...this.tail, size: -1 }; // unknown until the write is done: re-read if it fails
      for (let off = 0; off < bytes.length;) {
        off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
      }
      await fh.sync();
      const sizeNow = (await fh.stat()).size;
      this.tail = {
        size: sizeNow,
        lastLineHash: last,
        needsNewline: false,
        lastEntry: { seq: firstSeq + batch.length - 1, hash: last },
        torn: undefined,
        cut: [],
      };
      this.failure = undefined;
      return gap ? entries.slice(1) : entries;
    } catch (err) {
      if (err instanceof StateError) throw err; // an entry gitdock refuses to write: nothing was attempted
      await this.rememberFailure(err, inputs, gap !== undefined, firstSeq);
      throw journalError(`cannot append to ${this.path}`, this.path, err);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /**
   * After a failed write: what reached the file is read back (a write can stop part way), and
   * the entries that did not are remembered, for the gap entry the next write begins with.
   */
  private async rememberFailure(err: unknown, inputs: JournalInput[], hadGap: boolean, firstSeq: number): Promise<void> {
    const onDisk = await readTail(this.path).catch(() => undefined);
    const written = firstSeq > 0 && onDisk?.lastEntry ? Math.max(0, onDisk.lastEntry.seq - firstSeq + 1) : 0;
    const gapWritten = hadGap && written >= 1;
    this.failure = noteFailure(gapWritten ? undefined : this.failure, err, inputs.slice(Math.max(0, written - (hadGap ? 1 : 0))));
  }

  /**
   * Records the last entry's seq and hash in `journal.head` (atomically), so that verify can
   * tell when lines were removed from the end. Call it when a sync ends.
   */
  checkpoint(): Promise<void> {
    return serialized(this.path, async () => {
      const last = this.tail.lastEntry;
      if (last === undefined) return;
      const head = { seq: last.seq, hash: last.hash, at: new Date().toISOString() };
      await writeFileAtomic(this.headPath, `${JSON.stringify(head)}\n`, { mode: 0o600 });
    });
  }

  /** The valid entries, oldest first; lines that are not entries are skipped (verify reports them). */
  async *entries(): AsyncIterable<JournalEntry> {
    for await (const raw of readLines(this.path)) {
      if (!raw.terminated) continue;
      const parsed = parseEntry(raw.bytes);
      if ("entry" in parsed) yield parsed.entry;
    }
  }
}

/** The entries of a batch, chained from `prev`, and their lines; `last` is the last line's hash. */
function buildLines(batch: JournalInput[], firstSeq: number, prev: string): { entries: JournalEntry[]; lines: string[]; last: string } {
  const entries: JournalEntry[] = [];
  const lines: string[] = [];
  let seq = firstSeq;
  for (const input of batch) {
    const entry = makeEntry(input, seq++, prev);
    const line = formatEntry(entry);
    prev = lineHash(Buffer.from(line, "utf8"));
    entries.push(entry);
    lines.push(line);
  }
  return { entries, lines, last: prev };
}

function makeEntry(input: JournalInput, seq: number, prev: string): JournalEntry {
  const { time, ...rest } = input;
  for (const key of ["commit", "action", "outcome"] as const) {
    if (typeof rest[key] !== "string") throw new StateError(`journal entry needs a string ${key}`, { data: { key } });
  }
  if (rest.durationMs !== undefined && !Number.isFinite(rest.durationMs)) {
    throw new StateError("journal entry durationMs must be a finite number", { data: { durationMs: rest.durationMs } });
  }
  const entry: JournalEntry = { ...rest, seq, time: time ?? new Date().toISOString(), prev };
  // data must survive a JSON round trip unchanged in meaning (no BigInt, no cycles).
  if (entry.data !== undefined) {
    try {
      JSON.stringify(entry.data);
    } catch (err) {
      throw new StateError(`journal entry data is not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  return entry;
}

function journalError(what: string, path: string, err: unknown): StateError {
  if (err instanceof StateError) return err;
  return new StateError(`${what}: ${(err as Error).message}`, {
    hint: "Check that the state directory is writable by the user gitdock runs as and that the disk is not full.",
    data: { file: path },
    cause: err,
  });
}
