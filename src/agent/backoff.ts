/**
 * Delays for retries and polls. Pure: the random source is injected (default `Math.random`).
 */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** No delay ever exceeds this. */
  capMs: number;
}

/**
 * Exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter"): a delay drawn
 * uniformly from [0, min(cap, base * 2^attempt)). `attempt` counts from 0 for the first retry.
 * Full jitter spreads a fleet of agents that lost the same Git server at the same moment.
 */
export function nextDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const { baseMs, capMs } = opts;
  if (!(baseMs >= 0) || !(capMs >= 0)) throw new RangeError("backoff baseMs and capMs must be >= 0");
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^n overflows to Infinity for large n; min() with the cap keeps the ceiling finite.
  const ceiling = baseMs === 0 ? 0 : Math.min(capMs, baseMs * 2 ** n);
  return Math.floor(unit(random) * ceiling);
}

/**
 * `intervalMs` moved by up to ±`fraction` of itself, uniformly, so hosts started together do
 * not poll the Git server in step. `jittered(60_000, 0.1, r)` is in [54_000, 66_000].
 */
export function jittered(intervalMs: number, fraction: number, random: () => number = Math.random): number {
  if (!(intervalMs >= 0)) throw new RangeError("interval must be >= 0");
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError("jitter fraction must be within [0, 1]");
  return Math.round(intervalMs * (1 + fraction * (2 * unit(random) - 1)));
}

/** A random draw clamped into [0, 1), whatever the injected source returns. */
function unit(random: () => number): number {
  const r = random();
  if (!(r > 0)) return 0;
  return r >= 1 ? 1 - Number.EPSILON : r;
}
