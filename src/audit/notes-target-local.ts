import fs from "node:fs";
import { dirname, join } from "node:path";
import git from "isomorphic-git";
import { addPending, type PendingNote } from "./merge-notes.js";
import { emptySnapshot, readNoteOf, readNotesCommit, writeNotesCommit } from "./notes-tree.js";
import { notesAuthor, notesMessage, type NotesTarget } from "./notes-target.js";

/**
 * Notes in a local repository (`--repo /path`): written straight into it. Several agents (or a
 * person running `git notes`) may write the same ref, so the update takes Git's own ref lock —
 * `<gitdir>/<ref>.lock`, created exclusively, as `git update-ref` does — and re-reads the ref under
 * it. A lock held by someone else is a lost race: read again and retry.
 */
export class LocalNotesTarget implements NotesTarget {
  readonly where: string;

  constructor(private readonly opts: { gitdir: string; ref: string; hostId: string }) {
    this.where = `${opts.ref} in ${opts.gitdir}`;
  }

  async linesFor(commit: string): Promise<string[]> {
    const tip = await git.resolveRef({ fs, gitdir: this.opts.gitdir, ref: this.opts.ref }).catch(() => undefined);
    return tip ? readNoteOf(this.opts.gitdir, tip, commit) : [];
  }

  async publishOnce(pending: readonly PendingNote[]): Promise<{ result: "published" | "race"; added: number }> {
    const { gitdir, ref, hostId } = this.opts;
    const lock = join(gitdir, `${ref}.lock`);
    await fs.promises.mkdir(dirname(lock), { recursive: true });
    let fh;
    try {
      fh = await fs.promises.open(lock, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return { result: "race", added: 0 };
      throw err;
    }
    try {
      const tip = await git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
      const snap = tip ? await readNotesCommit(gitdir, tip) : emptySnapshot();
      const { notes, added } = addPending(snap.notes, pending);
      if (!added.length) return { result: "published", added: 0 };
      const oid = await writeNotesCommit(gitdir, { ...snap, notes }, { parent: tip, message: notesMessage(hostId, added.length), author: notesAuthor(hostId) });
      await git.writeRef({ fs, gitdir, ref, value: oid, force: true });
      return { result: "published", added: added.length };
    } finally {
      await fh.close();
      await fs.promises.unlink(lock).catch(() => undefined);
    }
  }
}
