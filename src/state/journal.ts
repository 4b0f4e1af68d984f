import { open } from "node:fs/promises";
import { join } from "node:path";
import { StateError } from "../errors.js";
import { writeFileAtomic } from "./atomic-file.js";
import { formatEntry, GENESIS, lineHash, parseEntry, type JournalEntry, type JournalInput } from "./journal-entry.js";
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
 * crash leaves at most one torn last line, never a torn line in the middle. A torn last line
 * found when opening is kept, not dropped or trusted: the next append first ends it with a
 * newline, so it stays in the file as its own (invalid) line for verify to report, and the
 * next entry's `prev` is the hash of that fragment, so the chain still covers every byte.
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
      throw journalError(`cannot open ${this.path}`, this.path, err);
    }
    try {
      // Another process (or a failed write of ours) changed the file since we last saw its end.
      if ((await fh.stat()).size !== this.tail.size) this.tail = await readTail(this.path);

      let prev = this.tail.lastLineHash ?? GENESIS;
      let seq = (this.tail.lastEntry?.seq ?? 0) + 1;
      const entries: JournalEntry[] = [];
      const lines: string[] = [];
      for (const input of inputs) {
        const entry = makeEntry(input, seq++, prev);
        const line = formatEntry(entry);
        prev = lineHash(Buffer.from(line, "utf8"));
        entries.push(entry);
        lines.push(line);
      }
      const bytes = Buffer.from(`${this.tail.needsNewline ? "\n" : ""}${lines.join("\n")}\n`, "utf8");
      this.tail = { ...this.tail, size: -1 }; // unknown until the write is done: re-read if it fails
      for (let off = 0; off < bytes.length; ) {
        off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
      }
      await fh.sync();
      const sizeNow = (await fh.stat()).size;
      this.tail = {
        size: sizeNow,
        lastLineHash: prev,
        needsNewline: false,
        lastEntry: { seq: seq - 1, hash: prev },
        torn: undefined,
      };
      return entries;
    } catch (err) {
      throw journalError(`cannot append to ${this.path}`, this.path, err);
    } finally {
      await fh.close().catch(() => undefined);
    }
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
