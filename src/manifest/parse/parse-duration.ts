/** Nanoseconds per unit of a Compose (Go `time.ParseDuration`) duration. */
const NANOS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** `1m30s`, `10s`, `500ms`, `1.5h`, `2us`, or a bare `0`. Shared with the schema so editors check it too. */
export const DURATION_PATTERN = /^(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/;

const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds, or undefined when `text` is not a duration. Summed in nanoseconds to keep `1m30s` exact. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let nanos = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    nanos += Math.round(Number(amount) * (NANOS[unit ?? ""] ?? 0));
  }
  return nanos / 1e6;
}
