import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSince } from "../../src/audit/history/index.js";
import { COMPOSE_DURATION_PATTERN, DURATION_PATTERN, formatDuration, parseComposeDurationMs, parseDuration, parseDurationMs } from "../../src/duration.js";

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** The one grammar reads every form the three grammars it replaced read, to the same value. */
describe("the duration grammar", () => {
  it.each([
    // the agent's settings and sync windows (agent/sync-windows.ts parseDuration)
    ["1h", H],
    ["30m", 30 * M],
    ["1h30m", 90 * M],
    ["45m", 45 * M],
    ["10s", 10 * S],
    ["2d", 2 * D],
    ["500ms", 500],
    ["1m30s", 90 * S],
    ["1d2h3m4s5ms", D + 2 * H + 3 * M + 4 * S + 5],
    ["63h", 63 * H],
    ["8d", 8 * D],
    // Compose keys (manifest/parse/parse-duration.ts)
    ["2us", 0.002],
    ["2µs", 0.002],
    ["1500ns", 0.0015],
    ["1.5h", 1.5 * H],
    ["0", 0],
    ["0s", 0],
    ["1h2m3s4ms", H + 2 * M + 3 * S + 4],
    ["30s1m", 90 * S],
    // ages for history --since (audit/history/parse-since.ts)
    ["90m", 90 * M],
    ["12h", 12 * H],
    ["7d", 7 * D],
    ["2w", 14 * D],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
    expect(DURATION_PATTERN.test(text)).toBe(true);
  });

  it.each(["", "10", "h", "1x", "10 s", " 10s", "-1s", "1.s", ".5s", "1m30", "1hh", "ten seconds", "1h 30m", "P1D"])("refuses %j", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
    expect(DURATION_PATTERN.test(text)).toBe(false);
  });

  it("keeps Compose keys to Go's units: days and weeks are gitdock's, and docker compose reads neither", () => {
    expect(parseComposeDurationMs("1m30s")).toBe(90 * S);
    expect(parseComposeDurationMs("2us")).toBe(0.002);
    expect(parseComposeDurationMs("1d")).toBeUndefined();
    expect(parseComposeDurationMs("2w")).toBeUndefined();
    expect(COMPOSE_DURATION_PATTERN.test("1h1d")).toBe(false);
  });

  it("makes a setting's duration whole milliseconds greater than zero, with surrounding spaces ignored", () => {
    expect(parseDuration(" 5m ")).toBe(5 * M);
    expect(parseDuration("1500us")).toBe(2);
    expect(parseDuration("1ns")).toBe(1);
    expect(() => parseDuration("0s")).toThrow(/invalid duration "0s": must be greater than zero/);
    expect(() => parseDuration("soon")).toThrow(/invalid duration "soon": expected e\.g\./);
    expect(() => parseDuration("99999999999w")).toThrow(/too long/);
  });

  it("writes whole milliseconds back in a form it reads to the same value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 * D }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
    expect(formatDuration(90 * M)).toBe("1h30m");
    expect(formatDuration(0)).toBe("0s");
  });

  it("reads history --since ages with it, and dates besides", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    expect(parseSince("1d12h", now).toISOString()).toBe("2026-11-21T00:00:00.000Z");
    expect(parseSince("90m", now).toISOString()).toBe("2026-11-22T10:30:00.000Z");
    expect(parseSince("2026-11-01", now).toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(() => parseSince("yesterday", now)).toThrow(/expected a date/);
  });
});
