import type { PendingNote } from "./merge-notes.js";

/** Where notes are published: a remote over HTTP (push) or a local repository (ref update under lock). */
export interface NotesTarget {
  /** For logs: the ref and where it lives (never credentials). */
  readonly where: string;
  /**
   * One attempt: read the current notes, add the pending lines, write a notes commit on top and
   * publish it with a compare-and-swap of the ref. "race" when another writer got there first
   * (read again and retry); throws when the target cannot be reached or refuses us.
   */
  publishOnce(pending: readonly PendingNote[]): Promise<{ result: "published" | "race"; added: number }>;
  /** The note lines on one commit, as the target has them now (every host's). */
  linesFor(commit: string): Promise<string[]>;
}

export const notesAuthor = (hostId: string) => ({ name: `gitdock ${hostId}`, email: `gitdock@${hostId}` });
export const notesMessage = (hostId: string, added: number) => `gitdock: ${added} outcome line(s) from ${hostId}\n`;
