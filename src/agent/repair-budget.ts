/**
 * A cap on drift repairs per service per sliding window, so a container that keeps dying by its
 * own fault is not restarted in a tight loop. Pure: the caller passes the clock (ms).
 *
 * `allow(key, now)` spends one repair from the key's budget when fewer than `max` were spent in
 * the last `windowMs`, else refuses and marks the key suppressed until its next allowed repair.
 * Keys are whatever the caller counts by, e.g. `<stack>/<service>`.
 */
export interface RepairBudgetOptions {
  /** Repairs allowed per key within one window (0 suppresses every repair). */
  max: number;
  windowMs: number;
}

export class RepairBudget {
  readonly max: number;
  readonly windowMs: number;
  /** Times of the repairs spent, per key, oldest first. */
  private readonly spent = new Map<string, number[]>();
  private readonly suppressedKeys = new Set<string>();

  constructor(opts: RepairBudgetOptions) {
    if (!Number.isInteger(opts.max) || opts.max < 0) {
      throw new RangeError(`repair budget max must be a non-negative integer, got ${opts.max}`);
    }
    if (!Number.isFinite(opts.windowMs) || opts.windowMs <= 0) {
      throw new RangeError(`repair budget window must be a positive number of ms, got ${opts.windowMs}`);
    }
    this.max = opts.max;
    this.windowMs = opts.windowMs;
  }

  /** Spend one repair for `key` at `now` if the budget allows it. */
  allow(key: string, now: number): boolean {
    const times = this.recent(key, now);
    if (times.length >= this.max) {
      this.suppressedKeys.add(key);
      return false;
    }
    times.push(now);
    this.spent.set(key, times);
    this.suppressedKeys.delete(key);
    return true;
  }

  /** Repairs `key` may still make at `now`. */
  remaining(key: string, now: number): number {
    return Math.max(0, this.max - this.recent(key, now).length);
  }

  /** Keys whose latest repair was refused, sorted. */
  suppressed(): string[] {
    return [...this.suppressedKeys].sort();
  }

  /** Give `key` a fresh budget, e.g. when a new commit changes the service. */
  reset(key: string): void {
    this.spent.delete(key);
    this.suppressedKeys.delete(key);
  }

  /** Drop bookkeeping for keys with no repair inside the window at `now`. */
  prune(now: number): void {
    for (const key of [...this.spent.keys()]) {
      if (this.recent(key, now).length === 0) this.spent.delete(key);
    }
  }

  /** The key's repairs inside the window ending at `now` (also forgets older ones). */
  private recent(key: string, now: number): number[] {
    const times = this.spent.get(key);
    if (times === undefined) return [];
    const cutoff = now - this.windowMs;
    const kept = times.filter((t) => t > cutoff);
    if (kept.length === 0) this.spent.delete(key);
    else this.spent.set(key, kept);
    return kept;
  }
}
