import type { Logger } from "../log.js";
import type { CommitOutcome } from "../reconcile/context.js";
import type { PendingNote } from "./merge-notes.js";
import { formatNoteLine, noteLineFor } from "./note-line.js";
import type { NotesOutbox } from "./notes-outbox.js";
import type { NotesTarget } from "./notes-target.js";
import { publishNotes, type PublishOptions } from "./publish-notes.js";

/**
 * Git notes for outcomes: each outcome becomes a line in the outbox first (durable), then the
 * outbox is published. Whatever fails stays in the outbox and goes out on a later pass; nothing
 * here ever throws to the reconcile.
 */
export class NotesReporter {
  private draining: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly target: NotesTarget,
    private readonly outbox: NotesOutbox,
    private readonly log: Logger,
    /** Signs a line for a commit (fleet/outcome-signature.ts): the wave rule counts only signed lines. */
    private readonly sign: (commit: string, line: string) => string,
    private readonly opts: PublishOptions = { maxAttempts: 10 },
  ) {}

  /** Outcome listener: queue this host's line on the commit's note, then publish what waits. */
  async record(o: CommitOutcome): Promise<void> {
    const line = this.sign(o.commit, formatNoteLine(noteLineFor(o)));
    try {
      const dropped = await this.outbox.add([{ commit: o.commit, line }]);
      if (dropped) this.log.error({ stage: "report", dropped }, "the notes outbox is full; dropped its oldest lines (the journal still has them)");
    } catch (err) {
      this.log.error({ stage: "report", commit: o.commit, err: String(err) }, "could not queue the git note line; it is only in the journal");
      return;
    }
    await this.drain();
  }

  /** Publishes whatever waits in the outbox. One drain at a time; a call during a drain runs one more. */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.again = false;
        await this.drainOnce();
      } while (this.again);
    })().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    let pending: PendingNote[];
    try {
      pending = await this.outbox.list();
    } catch (err) {
      this.log.error({ stage: "report", err: String(err) }, "cannot read the notes outbox");
      return;
    }
    if (!pending.length) return;
    const r = await publishNotes(this.target, pending, this.opts);
    if (!r.ok) {
      this.log.warn(
        { stage: "report", waiting: pending.length, attempts: r.attempts, error: r.error },
        `could not publish git notes to ${this.target.where}; ${pending.length} line(s) wait in the outbox for the next pass`,
      );
      return;
    }
    try {
      await this.outbox.remove(pending);
    } catch (err) {
      this.log.error({ stage: "report", err: String(err) }, "published git notes but could not update the outbox; they will be merged again (no duplicates)");
      return;
    }
    this.log.info({ stage: "report", lines: pending.length, added: r.added, attempts: r.attempts }, `git notes published to ${this.target.where}`);
  }
}
