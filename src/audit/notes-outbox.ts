import { join } from "node:path";
import { StateError } from "../errors.js";
import { ensureStateDir, readJsonFile, writeFileAtomic } from "../state/index.js";
import { serialized } from "../state/serial-queue.js";
import { pendingKey, type PendingNote } from "./merge-notes.js";

/**
 * Note lines not yet on the remote notes ref: `report-outbox.json` in the state directory,
 * replaced atomically on every change, so an outcome is never lost between the moment it happened
 * and the moment a push of it succeeded — across a crash, a Git server that refuses pushes, or a
 * restart. It stays small: lines leave it as soon as a push carries them.
 */

export const OUTBOX_FILE = "report-outbox.json";
/** Beyond this many waiting lines the oldest are dropped (loudly): a bound on a file nobody drains. */
export const OUTBOX_LIMIT = 10_000;

interface OutboxFile {
  version: 1;
  notes: (PendingNote & { since: string })[];
}

export class NotesOutbox {
  private constructor(readonly path: string) {}

  static async open(stateDir: string): Promise<NotesOutbox> {
    return new NotesOutbox(join(await ensureStateDir(stateDir), OUTBOX_FILE));
  }

  async list(): Promise<PendingNote[]> {
    return (await this.read()).notes.map(({ commit, line }) => ({ commit, line }));
  }

  /** Adds lines (a line already waiting is not added twice); returns how many were dropped for room. */
  add(items: readonly PendingNote[]): Promise<number> {
    return serialized(this.path, async () => {
      const file = await this.read();
      const have = new Set(file.notes.map(pendingKey));
      const since = new Date().toISOString();
      for (const p of items) if (!have.has(pendingKey(p))) file.notes.push({ commit: p.commit, line: p.line, since });
      const dropped = Math.max(0, file.notes.length - OUTBOX_LIMIT);
      file.notes.splice(0, dropped);
      await this.write(file);
      return dropped;
    });
  }

  /** Removes lines that were published (and only those: lines added meanwhile stay). */
  remove(items: readonly PendingNote[]): Promise<void> {
    const gone = new Set(items.map(pendingKey));
    return serialized(this.path, async () => {
      const file = await this.read();
      const kept = file.notes.filter((p) => !gone.has(pendingKey(p)));
      if (kept.length !== file.notes.length) await this.write({ ...file, notes: kept });
    });
  }

  private async read(): Promise<OutboxFile> {
    const raw = await readJsonFile<unknown>(this.path, {
      hint: `Move ${this.path} aside; the outcomes it held are still in the journal.`,
    });
    if (raw === undefined) return { version: 1, notes: [] };
    const o = raw as Partial<OutboxFile>;
    const valid =
      o.version === 1 &&
      Array.isArray(o.notes) &&
      o.notes.every((n) => typeof n?.commit === "string" && typeof n.line === "string" && typeof n.since === "string");
    if (!valid) {
      throw new StateError(`${this.path} is corrupt: not a gitdock report outbox`, {
        hint: `Move ${this.path} aside; the outcomes it held are still in the journal.`,
        data: { file: this.path },
      });
    }
    return { version: 1, notes: [...o.notes!] };
  }

  private async write(file: OutboxFile): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 1)}\n`);
  }
}
