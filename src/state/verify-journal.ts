import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { StateError } from "../errors.js";
import { GENESIS, lineHash, parseEntry, type JournalEntry } from "./journal-entry.js";
import { describeLoss, readGapData, type GapData } from "./journal-gap.js";
import { MAX_CUT_LINES, readLines, type RawLine } from "./journal-lines.js";
import { STATE_FILES } from "./state-dir.js";

export interface VerifyProblem {
  /** 1-based line of journal.jsonl; 0 means journal.head (the checkpoint) itself. */
  line: number;
  kind: "edited" | "missing" | "torn" | "unparsable" | "seq-gap";
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Lines in the journal, torn ones included. */
  lines: number;
  /** The problem on the earliest line. */
  firstProblem?: VerifyProblem;
  /** Every problem found, in line order (at most MAX_PROBLEMS). */
  problems: VerifyProblem[];
  /**
   * Gaps gitdock recorded after a failed write or a crash (journal-gap.ts): the chain verifies
   * across each. Absent when there are none.
   */
  interruptions?: Interruption[];
  /** The journal ends in a line cut short that no gap entry records yet (gitdock's next entry will). */
  interruptedAt?: { line: number; seq: number };
}

/** A recorded gap: where the journal was interrupted and what is known to be missing. */
export interface Interruption {
  /** The line of the gap entry. */
  line: number;
  /** The gap entry's seq: the first after the last entry written before the interruption. */
  seq: number;
  /** The lines cut short that the gap entry names, kept as they were found. */
  cutLines: number[];
  message: string;
}

const MAX_PROBLEMS = 100;

interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

async function readCheckpoint(path: string): Promise<Checkpoint | VerifyProblem | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<Checkpoint>;
    if (Number.isSafeInteger(v.seq) && typeof v.hash === "string" && typeof v.at === "string") return v as Checkpoint;
  } catch {
    // reported below
  }
  return { line: 0, kind: "unparsable", message: `${STATE_FILES.journalHead} (the journal's checkpoint) is damaged` };
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/**
 * Checks the journal's hash chain and sequence. Reads the file once, as a stream.
 *
 * For each pair of neighbouring lines (a, b), with b a valid entry:
 *  - chain intact and seq +1: fine;
 *  - chain broken and seq jumps forward: entries between a and b were removed ("missing" at b);
 *  - chain broken, seq +1: a was changed after b was written ("edited" at a);
 *  - chain intact, wrong seq: b itself was changed ("edited" at b);
 *  - chain broken, seq repeats or goes back: lines were reordered or duplicated ("seq-gap" at b).
 * A line that is not an entry is "torn" when it is the unterminated last line, or when the next
 * line chains to it (gitdock found it torn after a crash and kept it); otherwise "unparsable".
 * A gap entry (journal-gap.ts) that matches exactly the lines before it records an interruption:
 * the lines it names are no problem, and the chain goes on from it. One that does not match is
 * reported where it stops matching. Checking goes on after a problem, taking each line as found,
 * so one problem is reported once.
 */
export async function verifyJournal(stateDir: string): Promise<VerifyResult> {
  try {
    return await verify(stateDir);
  } catch (err) {
    throw new StateError(`cannot read the journal in ${stateDir}: ${(err as Error).message}`, {
      hint: "Check that the state directory is readable by the user gitdock runs as.",
      data: { dir: stateDir },
      cause: err,
    });
  }
}

async function verify(stateDir: string): Promise<VerifyResult> {
  const checkpoint = await readCheckpoint(join(stateDir, STATE_FILES.journalHead));
  const chain = new ChainCheck(checkpoint !== undefined && !("kind" in checkpoint) ? checkpoint : undefined);
  if (checkpoint !== undefined && "kind" in checkpoint) chain.report(checkpoint);
  for await (const raw of readLines(join(stateDir, STATE_FILES.journal))) {
    if (!chain.line(raw)) break;
  }
  return chain.result();
}

/** A line that is not a journal entry, waiting for the line after it to say what it is. */
interface NonEntry {
  line: number;
  hash: string;
  bytes: number;
  why: string;
}

/** The state of one pass over the journal's lines. */
class ChainCheck {
  private readonly problems: VerifyProblem[] = [];
  private readonly interruptions: Interruption[] = [];
  private interruptedAt: VerifyResult["interruptedAt"];
  private lines = 0;
  private prevHash: string | undefined; // hash of the previous line's bytes
  private lastSeq = 0; // seq of the last valid entry
  private lastEntry: { line: number; hash: string } | undefined;
  private nonEntries: NonEntry[] = []; // the lines since the last valid entry that are not entries
  private headLine: { line: number; hash: string } | undefined;

  constructor(private readonly head: Checkpoint | undefined) {}

  report(p: VerifyProblem): void {
    if (this.problems.length < MAX_PROBLEMS && !this.problems.some((q) => q.line === p.line)) this.problems.push(p);
  }

  /** Takes the next line; false when checking must stop (an unterminated line ends the file). */
  line(raw: RawLine): boolean {
    const n = (this.lines = raw.line);
    const hash = lineHash(raw.bytes);
    if (!raw.terminated) {
      this.report({
        line: n,
        kind: "torn",
        message: `line ${n} is a torn write: it has no newline (a write that failed part way, a crash, or a truncated file); gitdock records the gap with its next entry`,
      });
      this.interruptedAt = { line: n, seq: this.lastSeq + 1 };
      return false;
    }
    const parsed = parseEntry(raw.bytes);
    if ("problem" in parsed) this.nonEntry({ line: n, hash, bytes: raw.bytes.length, why: parsed.problem });
    else if (!this.recordedGap(parsed.entry, n, hash)) this.entry(parsed.entry, n, hash);
    this.prevHash = hash;
    return true;
  }

  /** Keeps a line that is not an entry for the next entry to judge; more than a gap can name are unparsable at once. */
  private nonEntry(x: NonEntry): void {
    this.nonEntries.push(x);
    if (this.nonEntries.length > MAX_CUT_LINES + 1) {
      const old = this.nonEntries.shift()!;
      this.report({ line: old.line, kind: "unparsable", message: `line ${old.line} is not a journal entry: ${old.why}` });
    }
  }

  result(): VerifyResult {
    for (const x of this.nonEntries) this.report({ line: x.line, kind: "unparsable", message: `line ${x.line} is not a journal entry: ${x.why}` });
    this.checkHead();
    const problems = [...this.problems].sort((a, b) => a.line - b.line);
    const first = problems[0];
    const extra = {
      ...(this.interruptions.length ? { interruptions: this.interruptions } : {}),
      ...(this.interruptedAt ? { interruptedAt: this.interruptedAt } : {}),
    };
    return first === undefined
      ? { ok: true, lines: this.lines, problems, ...extra }
      : { ok: false, lines: this.lines, firstProblem: first, problems, ...extra };
  }

  /**
   * A gap entry: an interruption when it matches the lines before it exactly, else one problem
   * where it stops matching (the lines it names are not reported again). A gap entry that does
   * not chain to the line before it is judged like any other entry.
   */
  private recordedGap(e: JournalEntry, n: number, hash: string): boolean {
    const gap = readGapData(e);
    if (gap === undefined) return false;
    const cutMismatch = this.cutMismatch(gap, n);
    if (!cutMismatch && e.prev !== (this.prevHash ?? GENESIS)) return false;
    const mismatch = cutMismatch ?? this.afterMismatch(gap, e, n);
    if (mismatch) this.report(mismatch);
    else {
      const cutLines = this.nonEntries.map((x) => x.line);
      const cut = cutLines.length ? `line${cutLines.length > 1 ? "s" : ""} ${cutLines.join(", ")} cut short, kept as found; ` : "";
      this.interruptions.push({
        line: n,
        seq: e.seq,
        cutLines,
        message: `interrupted before seq ${e.seq}: ${cut}line ${n} records the gap: ${describeLoss(gap)}`,
      });
    }
    this.nonEntries = [];
    this.accept(mismatch ? this.lastSeq + 1 : e.seq, e.seq, n, hash);
    return true;
  }

  /** Whether the lines cut short before a gap entry are the ones it names, byte for byte. */
  private cutMismatch(gap: GapData, n: number): VerifyProblem | undefined {
    if (gap.cut.length !== this.nonEntries.length) {
      return { line: n, kind: "edited", message: `line ${n} records ${gap.cut.length} line(s) cut short before it, where ${this.nonEntries.length} are` };
    }
    const changed = this.nonEntries.find((x, i) => gap.cut[i]!.bytes !== x.bytes || gap.cut[i]!.sha256 !== x.hash);
    if (changed)
      return {
        line: changed.line,
        kind: "edited",
        message: `line ${changed.line} (cut short by an interrupted write) was changed after line ${n} recorded it`,
      };
    return undefined;
  }

  /** Whether a chained gap entry follows the entry it names, with the next seq. */
  private afterMismatch(gap: GapData, e: JournalEntry, n: number): VerifyProblem | undefined {
    const last = this.lastEntry;
    if (gap.after.seq !== this.lastSeq) {
      return {
        line: n,
        kind: "edited",
        message: `line ${n} records a journal gap after seq ${gap.after.seq}, but the last entry before it is seq ${this.lastSeq}`,
      };
    }
    if (gap.after.hash !== (last?.hash ?? GENESIS)) {
      const at = last?.line ?? n;
      return {
        line: at,
        kind: "edited",
        message: `line ${at} was changed after line ${n} recorded the journal gap after it: its hash no longer matches the gap's record`,
      };
    }
    if (e.seq !== this.lastSeq + 1)
      return { line: n, kind: "edited", message: `line ${n} was changed: its seq is ${e.seq} where ${this.lastSeq + 1} was written` };
    return undefined;
  }

  private entry(e: JournalEntry, n: number, hash: string): void {
    const chained = e.prev === (this.prevHash ?? GENESIS);
    const lastSeq = this.lastSeq;
    let seq = e.seq;
    const invalid = this.nonEntries.pop();
    for (const x of this.nonEntries) this.report({ line: x.line, kind: "unparsable", message: `line ${x.line} is not a journal entry: ${x.why}` });
    this.nonEntries = [];
    if (invalid !== undefined) {
      this.report(
        chained
          ? {
              line: invalid.line,
              kind: "torn",
              message: `line ${invalid.line} is a torn write left by a crash (${invalid.why}); gitdock kept it and went on at line ${n}`,
            }
          : { line: invalid.line, kind: "unparsable", message: `line ${invalid.line} is not a journal entry: ${invalid.why}` },
      );
      if (e.seq > lastSeq + 1 && chained) {
        this.report({ line: n, kind: "seq-gap", message: `line ${n} has seq ${e.seq} after seq ${lastSeq}` });
      }
    } else if (chained && e.seq !== lastSeq + 1) {
      this.report({ line: n, kind: "edited", message: `line ${n} was changed: its seq is ${e.seq} where ${lastSeq + 1} was written` });
      seq = lastSeq + 1; // what was written, so the next line is not blamed for it
    } else if (!chained && e.seq > lastSeq + 1) {
      const count = e.seq - lastSeq - 1;
      const where = n === 1 ? "before line 1" : `between line ${n - 1} and line ${n}`;
      this.report({
        line: n,
        kind: "missing",
        message: `${count} ${plural(count, "entry", "entries")} (seq ${lastSeq + 1}${count > 1 ? `–${e.seq - 1}` : ""}) ${plural(count, "is", "are")} missing ${where}`,
      });
    } else if (!chained && e.seq === lastSeq + 1) {
      this.report(
        n === 1
          ? { line: 1, kind: "edited", message: "line 1 was changed: its prev is not the start of a chain" }
          : { line: n - 1, kind: "edited", message: `line ${n - 1} was changed after line ${n} was written: its hash no longer matches line ${n}'s prev` },
      );
    } else if (!chained) {
      this.report({ line: n, kind: "seq-gap", message: `line ${n} has seq ${e.seq} after seq ${lastSeq}: lines were reordered or duplicated` });
    }
    this.accept(seq, e.seq, n, hash);
  }

  /** `seq`: what was written (the line's own seq, unless it was edited); `onLine`: the seq the line says. */
  private accept(seq: number, onLine: number, n: number, hash: string): void {
    if (this.head !== undefined && onLine === this.head.seq) this.headLine = { line: n, hash };
    this.lastSeq = seq;
    this.lastEntry = { line: n, hash };
  }

  /** The checkpoint notices lines cut from the end, which the chain alone cannot show. */
  private checkHead(): void {
    const head = this.head;
    if (head === undefined) return;
    if (this.headLine !== undefined && this.headLine.hash !== head.hash) {
      this.report({
        line: this.headLine.line,
        kind: "edited",
        message: `line ${this.headLine.line} (seq ${head.seq}) differs from the checkpoint taken at ${head.at}`,
      });
    } else if (this.headLine === undefined && head.seq > this.lastSeq) {
      const count = head.seq - this.lastSeq;
      this.report({
        line: this.lines + 1,
        kind: "missing",
        message: `the journal ends at seq ${this.lastSeq} but the checkpoint taken at ${head.at} recorded seq ${head.seq}: ${count} ${plural(count, "entry was", "entries were")} removed from the end`,
      });
    }
  }
}
