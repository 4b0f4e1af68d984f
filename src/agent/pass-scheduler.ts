/**
 * Runs reconcile passes one at a time and coalesces triggers. Pure: no timers, no I/O; the pass
 * itself is injected.
 *
 *  - Idle: a trigger starts a pass at once.
 *  - Running: triggers that arrive join ONE pending pass, which starts when the current one ends.
 *    However many arrive (a burst of 20 webhooks, a storm of Docker events), at most one pass runs
 *    and at most one waits.
 *  - Every `request` resolves with the outcome of the first pass that STARTED after it was made,
 *    so a caller (`POST /sync`) always sees a pass that saw its trigger. It never rejects.
 *  - `close()` stops new passes; the running one finishes (see `idle()`), the pending one is
 *    cancelled and its callers are told so.
 */

export type TriggerKind =
  "startup" | "poll" | "retry" | "webhook" | "docker-event" | "repo-change" | "reload" | "manual" | "engine-reconnected" | "in-place" | "recheck";

export interface Trigger {
  kind: TriggerKind;
  /** A short, loggable detail: the container and event, the webhook's branch and commit, ... */
  detail?: string;
}

/**
 * A pass is manual (sync windows with `manual_sync` let it through) only when a `manual` trigger
 * is among its triggers: the authenticated `POST /sync` (`gitdock sync --now`) is the only source
 * of those. Webhooks, polls, events and signals never count, however they coalesce.
 */
export function isManualPass(triggers: readonly Trigger[]): boolean {
  return triggers.some((t) => t.kind === "manual");
}

export type PassOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown; cancelled?: boolean };

interface Batch<R> {
  triggers: Trigger[];
  waiters: ((o: PassOutcome<R>) => void)[];
}

export class PassScheduler<R> {
  private running: Promise<void> | undefined;
  private pending: Batch<R> | undefined;
  private closed = false;
  private passes = 0;

  constructor(private readonly run: (triggers: readonly Trigger[]) => Promise<R>) {}

  /** Ask for a pass; resolves when a pass that started after this call has ended. */
  request(trigger: Trigger): Promise<PassOutcome<R>> {
    if (this.closed) return Promise.resolve(cancelled());
    const batch = (this.pending ??= { triggers: [], waiters: [] });
    batch.triggers.push(trigger);
    const done = new Promise<PassOutcome<R>>((resolve) => batch.waiters.push(resolve));
    if (!this.running) this.startNext();
    return done;
  }

  /** A pass is running now. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** A pass is waiting for the current one to end. */
  get queued(): boolean {
    return this.pending !== undefined;
  }

  /** Passes started so far. */
  get started(): number {
    return this.passes;
  }

  /** Stop starting passes. The pending one (if any) is cancelled; the running one goes on. */
  close(): void {
    this.closed = true;
    const batch = this.pending;
    this.pending = undefined;
    for (const w of batch?.waiters ?? []) w(cancelled());
  }

  /** Resolves once no pass is running (after `close()`: for good). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private startNext(): void {
    const batch = this.pending;
    if (!batch || this.closed) return;
    this.pending = undefined;
    this.passes++;
    this.running = this.execute(batch).finally(() => {
      this.running = undefined;
      this.startNext();
    });
  }

  private async execute(batch: Batch<R>): Promise<void> {
    let outcome: PassOutcome<R>;
    try {
      outcome = { ok: true, value: await this.run(batch.triggers) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    for (const w of batch.waiters) w(outcome);
  }
}

function cancelled<R>(): PassOutcome<R> {
  return { ok: false, error: new Error("the agent is shutting down; no further pass will run"), cancelled: true };
}

/** `webhook(main abc123), docker-event x2` — triggers of one pass, for its log line. */
export function describeTriggers(triggers: readonly Trigger[]): string {
  const counts = new Map<string, number>();
  for (const t of triggers) counts.set(t.kind, (counts.get(t.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n > 1 ? `${kind} x${n}` : kind)).join(", ");
}
