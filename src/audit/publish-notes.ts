import type { PendingNote } from "./merge-notes.js";
import type { NotesTarget } from "./notes-target.js";

export interface PublishOptions {
  /** Attempts when the race for the ref is lost (reading the new tip and merging each time). */
  maxAttempts: number;
  /** Backoff after the n-th lost race: base·2^(n-1), capped, with jitter so racing hosts spread out. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export type PublishResult = { ok: true; added: number; attempts: number } | { ok: false; attempts: number; error: string };

/**
 * Publishes pending note lines, retrying lost races with jittered backoff. An unreachable or
 * refusing target is not retried here (the lines wait in the outbox for the next pass); a lost
 * race is, because the next attempt is very likely to win.
 */
export async function publishNotes(target: NotesTarget, pending: readonly PendingNote[], opts: PublishOptions): Promise<PublishResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await target.publishOnce(pending);
      if (r.result === "published") return { ok: true, added: r.added, attempts: attempt };
    } catch (err) {
      return { ok: false, attempts: attempt, error: describe(err) };
    }
    if (attempt >= opts.maxAttempts) return { ok: false, attempts: attempt, error: `lost the race for the notes ref ${attempt} times` };
    const base = opts.baseDelayMs ?? 100;
    const delay = Math.min(opts.maxDelayMs ?? 3_000, base * 2 ** (attempt - 1));
    await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; data?: { statusCode?: number } };
  const status = e.data?.statusCode;
  return `${e.message ?? String(err)}${status ? ` (HTTP ${status})` : ""}`;
}
