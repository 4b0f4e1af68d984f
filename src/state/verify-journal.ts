import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { StateError } from "../errors.js";
import { GENESIS, lineHash, parseEntry, type JournalEntry } from "./journal-entry.js";
import { readLines } from "./journal-lines.js";
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
 * Checking goes on after a problem, taking each line as found, so one problem is reported once.
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
  const path = join(stateDir, STATE_FILES.journal);
  const problems: VerifyProblem[] = [];
  const report = (p: VerifyProblem): void => {
    if (problems.length < MAX_PROBLEMS && !problems.some((q) => q.line === p.line)) problems.push(p);
  };
  const checkpoint = await readCheckpoint(join(stateDir, STATE_FILES.journalHead));
  if (checkpoint !== undefined && "kind" in checkpoint) report(checkpoint);
  const head = checkpoint !== undefined && !("kind" in checkpoint) ? checkpoint : undefined;

  let lines = 0;
  let prevHash: string | undefined; // hash of the previous line's bytes
  let lastSeq = 0; // seq of the last valid entry
  let invalid: { line: number; hash: string; why: string } | undefined; // the previous line, if not an entry
  let headLine: { line: number; hash: string } | undefined;

  for await (const raw of readLines(path)) {
    lines = raw.line;
    const n = raw.line;
    const hash = lineHash(raw.bytes);
    if (!raw.terminated) {
      report({ line: n, kind: "torn", message: `line ${n} is a torn write: it has no newline (a crash cut it short, or the file was truncated)` });
      break;
    }
    const parsed = parseEntry(raw.bytes);
    if ("problem" in parsed) {
      if (invalid !== undefined) report({ line: invalid.line, kind: "unparsable", message: `line ${invalid.line} is not a journal entry: ${invalid.why}` });
      invalid = { line: n, hash, why: parsed.problem };
      prevHash = hash;
      continue;
    }
    const e: JournalEntry = parsed.entry;
    const chained = e.prev === (prevHash ?? GENESIS);
    let seq = e.seq;
    if (invalid !== undefined) {
      report(
        chained
          ? { line: invalid.line, kind: "torn", message: `line ${invalid.line} is a torn write left by a crash (${invalid.why}); gitdock kept it and went on at line ${n}` }
          : { line: invalid.line, kind: "unparsable", message: `line ${invalid.line} is not a journal entry: ${invalid.why}` },
      );
      invalid = undefined;
      if (e.seq > lastSeq + 1 && chained) {
        report({ line: n, kind: "seq-gap", message: `line ${n} has seq ${e.seq} after seq ${lastSeq}` });
      }
    } else if (chained && e.seq !== lastSeq + 1) {
      report({ line: n, kind: "edited", message: `line ${n} was changed: its seq is ${e.seq} where ${lastSeq + 1} was written` });
      seq = lastSeq + 1; // what was written, so the next line is not blamed for it
    } else if (!chained && e.seq > lastSeq + 1) {
      const count = e.seq - lastSeq - 1;
      const where = n === 1 ? "before line 1" : `between line ${n - 1} and line ${n}`;
      report({
        line: n,
        kind: "missing",
        message: `${count} ${plural(count, "entry", "entries")} (seq ${lastSeq + 1}${count > 1 ? `–${e.seq - 1}` : ""}) ${plural(count, "is", "are")} missing ${where}`,
      });
    } else if (!chained && e.seq === lastSeq + 1) {
      report(
        n === 1
          ? { line: 1, kind: "edited", message: "line 1 was changed: its prev is not the start of a chain" }
          : { line: n - 1, kind: "edited", message: `line ${n - 1} was changed after line ${n} was written: its hash no longer matches line ${n}'s prev` },
      );
    } else if (!chained) {
      report({ line: n, kind: "seq-gap", message: `line ${n} has seq ${e.seq} after seq ${lastSeq}: lines were reordered or duplicated` });
    }
    if (head !== undefined && e.seq === head.seq) headLine = { line: n, hash };
    lastSeq = seq;
    prevHash = hash;
  }
  if (invalid !== undefined) {
    report({ line: invalid.line, kind: "unparsable", message: `line ${invalid.line} is not a journal entry: ${invalid.why}` });
  }

  if (head !== undefined) {
    if (headLine !== undefined && headLine.hash !== head.hash) {
      report({ line: headLine.line, kind: "edited", message: `line ${headLine.line} (seq ${head.seq}) differs from the checkpoint taken at ${head.at}` });
    } else if (headLine === undefined && head.seq > lastSeq) {
      const count = head.seq - lastSeq;
      report({
        line: lines + 1,
        kind: "missing",
        message: `the journal ends at seq ${lastSeq} but the checkpoint taken at ${head.at} recorded seq ${head.seq}: ${count} ${plural(count, "entry was", "entries were")} removed from the end`,
      });
    }
  }

  problems.sort((a, b) => a.line - b.line);
  const first = problems[0];
  return first === undefined ? { ok: true, lines, problems } : { ok: false, lines, firstProblem: first, problems };
}
