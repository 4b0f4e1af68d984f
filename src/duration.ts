/**
 * The one duration grammar. Every duration gitdock reads goes through here: the agent config's
 * settings and sync windows, the flags (`--interval`, `--shutdown-timeout`, `history --since`) and
 * the Compose keys (`healthcheck.interval`, `stop_grace_period`, `deploy.update_config.delay`, ...).
 *
 * A duration is one or more `<amount><unit>` parts with no space between them, or a bare `0`:
 * amounts are whole or decimal (`1.5h`); units are `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, `d`
 * (24 hours) and `w` (7 days), in any order. This is Go's `time.ParseDuration` (which Compose uses)
 * plus days and weeks, so `1m30s`, `90s`, `500ms`, `1h30m`, `2d` and `2us` read the same wherever
 * they are written. No sign: nothing gitdock configures runs backwards.
 *
 * Compose keys take the grammar without `d` and `w` (COMPOSE_DURATION_PATTERN): a Compose file is
 * also docker compose's, which reads no days or weeks. gitdock's own settings take all of it and
 * must be greater than zero (parseDuration).
 */

const GO_UNITS = ["ns", "us", "µs", "ms", "s", "m", "h"] as const;
const UNITS = [...GO_UNITS, "d", "w"] as const;

function patternOf(units: readonly string[]): RegExp {
  return new RegExp(`^(?:0|(?:\\d+(?:\\.\\d+)?(?:${units.join("|")}))+)$`);
}

/** The whole grammar as one regular expression: schemas and the JSON Schemas for editors check it too. */
export const DURATION_PATTERN = patternOf(UNITS);

/** The grammar with Go's units only, for Compose keys. */
export const COMPOSE_DURATION_PATTERN = patternOf(GO_UNITS);

/** Examples for error messages. */
export const DURATION_EXAMPLES = "e.g. 10s, 5m, 1h30m, 500ms or 2d";

const PART = new RegExp(`(\\d+(?:\\.\\d+)?)(${UNITS.join("|")})`, "g");

/** Milliseconds per unit, from the millisecond up: whole numbers, so `1m30s` sums exactly. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Nanoseconds per unit below the millisecond, summed apart so `1500ns` is exactly 0.0015 ms. */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1_000, µs: 1_000 };

/** Milliseconds (a fraction below 1 ms for `ns` and `us` parts), or undefined when `text` is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let ms = 0;
  let nanos = 0;
  for (const [, amount, unit = ""] of text.matchAll(PART)) {
    if (unit in UNIT_NS) nanos += Math.round(Number(amount) * (UNIT_NS[unit] ?? 0));
    else ms += Number(amount) * (UNIT_MS[unit] ?? 0);
  }
  return ms + nanos / 1e6;
}

/** A Compose key's duration in milliseconds, or undefined when it is none (`2d` is none: Compose reads no days). */
export function parseComposeDurationMs(text: string): number | undefined {
  return COMPOSE_DURATION_PATTERN.test(text) ? parseDurationMs(text) : undefined;
}

/**
 * A setting's duration: greater than zero, in whole milliseconds (a positive duration below 1 ms
 * counts as 1 ms). Surrounding spaces are ignored. Throws a RangeError that says what is wrong.
 */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text.trim());
  if (ms === undefined) throw new RangeError(`invalid duration "${text}": expected ${DURATION_EXAMPLES}`);
  if (ms <= 0) throw new RangeError(`invalid duration "${text}": must be greater than zero`);
  if (!Number.isSafeInteger(Math.ceil(ms))) throw new RangeError(`invalid duration "${text}": too long`);
  return Math.ceil(ms);
}

/** Why `text` is not a setting's duration, or undefined when it is one (for schema refinements). */
export function durationProblem(text: string): string | undefined {
  try {
    parseDuration(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const FORMAT_UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
] as const;

/** Whole milliseconds as the grammar writes them, largest unit first: 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [suffix, unit] of FORMAT_UNITS) {
    const n = Math.floor(rest / unit);
    if (n > 0) parts.push(`${n}${suffix}`);
    rest -= n * unit;
  }
  return parts.length > 0 ? parts.join("") : "0s";
}
