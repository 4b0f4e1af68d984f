/**
 * Git notes as data, and their merge. A note is the text of one blob in the notes tree, named by
 * the annotated commit; gitdock treats it as a set of lines. Merging is a set union keyed by the
 * exact line: a line already there keeps its place, a new line is appended, and no line is ever
 * dropped or doubled, whichever host merges first. Pure: no Git here (see notes-tree.ts).
 */

/** commit SHA → the note's lines, in order, without duplicates. */
export type Notes = Map<string, string[]>;

/** A line waiting to be recorded on a commit's note. */
export interface PendingNote {
  commit: string;
  line: string;
}

export const pendingKey = (p: PendingNote): string => `${p.commit} ${p.line}`;

/** The lines of a note's text, without empty lines and without duplicates. */
export function noteLines(text: string): string[] {
  return dedupe(
    text
      .split("\n")
      .map((l) => l.replace(/\r$/, ""))
      .filter((l) => l.trim() !== ""),
  );
}

/** The note's text as Git stores it: one line each, a final newline. */
export function noteText(lines: readonly string[]): string {
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function dedupe(lines: Iterable<string>): string[] {
  return [...new Set(lines)];
}

/** `base`'s lines in their order, then the lines of `added` that `base` lacks. */
export function mergeLines(base: readonly string[], added: readonly string[]): string[] {
  return dedupe([...base, ...added]);
}

/**
 * The union of several note sets, commit by commit. The first set's order wins; a new commit's
 * note and lines new to a commit follow in the order they are met.
 */
export function mergeNotes(...sets: Notes[]): Notes {
  const out: Notes = new Map();
  for (const set of sets) {
    for (const [commit, lines] of set) out.set(commit, mergeLines(out.get(commit) ?? [], lines));
  }
  return out;
}

/** Adds pending lines to `notes`; returns the merged notes and the pending lines that were new. */
export function addPending(notes: Notes, pending: readonly PendingNote[]): { notes: Notes; added: PendingNote[] } {
  const additions: Notes = new Map();
  const added: PendingNote[] = [];
  for (const p of pending) {
    const have = notes.get(p.commit) ?? [];
    const adding = additions.get(p.commit) ?? [];
    if (have.includes(p.line) || adding.includes(p.line)) continue;
    adding.push(p.line);
    additions.set(p.commit, adding);
    added.push(p);
  }
  return { notes: mergeNotes(notes, additions), added };
}
