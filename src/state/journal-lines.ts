import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { lineHash, parseEntry } from "./journal-entry.js";

/**
 * Reading journal.jsonl as exact bytes: the hash chain is over the bytes on disk, so lines are
 * split on "\n" only, never decoded and re-encoded first.
 */

export interface RawLine {
  /** 1-based line number. */
  line: number;
  bytes: Buffer;
  /** False for a last line with no newline after it (a torn write or a truncated file). */
  terminated: boolean;
}

/**
 * Yields the lines of `path` up to its size when the call started (so appends that land while
 * reading are not seen half-written). Nothing when the file does not exist. Breaking out of the
 * loop closes the file.
 */
export async function* readLines(path: string): AsyncGenerator<RawLine> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (size === 0) return;
  const stream = createReadStream(path, { start: 0, end: size - 1 });
  let pending: Buffer[] = [];
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        pending.push(chunk.subarray(from, nl));
        yield { line: ++line, bytes: pending.length === 1 ? pending[0]! : Buffer.concat(pending), terminated: true };
        pending = [];
        from = nl + 1;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
    }
    if (pending.length > 0) yield { line: ++line, bytes: Buffer.concat(pending), terminated: false };
  } finally {
    stream.destroy();
  }
}

/** What an appender needs to know about the end of the journal. */
export interface JournalTail {
  size: number;
  /** Hash of the last line's bytes (terminated or not); undefined for an empty file. */
  lastLineHash: string | undefined;
  /** The file is not empty and does not end with "\n": the next write must start with one. */
  needsNewline: boolean;
  /** The last valid, terminated entry. */
  lastEntry: { seq: number; hash: string } | undefined;
  /** The last line when it is unterminated or not a valid entry. */
  torn: { line: number; text: string } | undefined;
  /**
   * The lines after the last valid entry, oldest first, by length and hash: what a gap record
   * names (journal-gap.ts). Empty when the last line is a valid entry; MAX_CUT_LINES + 1 of them
   * (the newest) when there are more.
   */
  cut: CutLine[];
}

/** A line that is not a journal entry, as a gap record names it. */
export interface CutLine {
  bytes: number;
  sha256: string;
}

const EMPTY_TAIL: JournalTail = { size: 0, lastLineHash: undefined, needsNewline: false, lastEntry: undefined, torn: undefined, cut: [] };

const CHUNK = 64 * 1024;
/** A gap record names at most this many lines; `cut` holds one more when there are more. */
export const MAX_CUT_LINES = 16;
const TORN_TEXT_MAX = 500;

async function countLines(path: string): Promise<number> {
  let count = 0;
  for await (const raw of readLines(path)) count = raw.line;
  return count;
}

/**
 * Reads the journal from its end, only as far back as the last valid entry, so opening a
 * journal of months stays fast. Counts the file's lines only when the tail is torn.
 */
export async function readTail(path: string): Promise<JournalTail> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ...EMPTY_TAIL, cut: [] };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) return { ...EMPTY_TAIL, cut: [] };

    let buf = Buffer.alloc(0); // the bytes [pos, size) of the file
    let pos = size;
    const readBack = async (): Promise<void> => {
      const n = Math.min(CHUNK, pos);
      const chunk = Buffer.alloc(n);
      await fh.read(chunk, 0, n, pos - n);
      pos -= n;
      buf = Buffer.concat([chunk, buf]);
    };
    await readBack();

    const endsWithNewline = buf[buf.length - 1] === 0x0a;
    let end = endsWithNewline ? size - 1 : size; // exclusive end (file offset) of the line being looked at
    let first = true;
    let lastLineHash = "";
    let lastEntry: JournalTail["lastEntry"];
    let tornBytes: Buffer | undefined;
    const cut: CutLine[] = []; // newest first while reading back
    // The newline that ends the line before the one ending at `end`, or -1 if not in `buf` yet.
    const findNewline = (): number => (end - pos - 1 < 0 ? -1 : buf.lastIndexOf(0x0a, end - pos - 1));
    for (;;) {
      let nl = findNewline();
      while (nl === -1 && pos > 0) {
        await readBack();
        nl = findNewline();
      }
      const start = nl === -1 ? 0 : pos + nl + 1; // file offset where the line starts
      const bytes = buf.subarray(start - pos, end - pos);
      const parsed = parseEntry(bytes);
      const valid = "entry" in parsed && (!first || endsWithNewline);
      if (first) {
        lastLineHash = lineHash(bytes);
        if (!valid) tornBytes = Buffer.from(bytes);
        first = false;
      }
      if (valid && "entry" in parsed) {
        lastEntry = { seq: parsed.entry.seq, hash: lineHash(bytes) };
        break;
      }
      if (cut.length <= MAX_CUT_LINES) cut.push({ bytes: bytes.length, sha256: lineHash(bytes) });
      if (start === 0) break;
      end = start - 1;
    }

    let torn: JournalTail["torn"];
    if (tornBytes !== undefined) {
      const text = tornBytes.toString("utf8");
      torn = {
        line: await countLines(path),
        text: text.length > TORN_TEXT_MAX ? `${text.slice(0, TORN_TEXT_MAX)}…` : text,
      };
    }
    return { size, lastLineHash, needsNewline: !endsWithNewline, lastEntry, torn, cut: cut.reverse() };
  } finally {
    await fh.close();
  }
}
