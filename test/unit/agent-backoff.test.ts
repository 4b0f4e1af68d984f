import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jittered, nextDelay } from "../../src/agent/backoff.js";

const OPTS = { baseMs: 1000, capMs: 60_000 };
const almostOne = () => 1 - 1e-12;

describe("nextDelay", () => {
  it("the ceiling doubles per attempt up to the cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50, 5000].map((a) => nextDelay(a, OPTS, almostOne))).toEqual([
      999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999, 59999,
    ]);
  });

  it("full jitter: zero with a zero draw, half the ceiling with 0.5", () => {
    expect(nextDelay(3, OPTS, () => 0)).toBe(0);
    expect(nextDelay(3, OPTS, () => 0.5)).toBe(4000);
  });

  it("tolerates odd attempts and random sources", () => {
    expect(nextDelay(-1, OPTS, () => 0.5)).toBe(500);
    expect(nextDelay(Number.NaN, OPTS, () => 0.5)).toBe(500);
    expect(nextDelay(2, OPTS, () => 1)).toBeLessThan(4000);
    expect(nextDelay(2, OPTS, () => Number.NaN)).toBe(0);
    expect(nextDelay(10, { baseMs: 0, capMs: 1000 }, () => 0.5)).toBe(0);
  });

  it("stays within [0, min(cap, base*2^attempt)) (property)", () => {
    fc.assert(
      fc.property(
        fc.nat(2000),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, baseMs, capMs, r) => {
          const d = nextDelay(attempt, { baseMs, capMs }, () => r);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(Math.min(capMs, baseMs * 2 ** attempt));
        },
      ),
    );
  });
});

describe("jittered", () => {
  it("spreads the interval by ±fraction", () => {
    expect(jittered(60_000, 0.1, () => 0)).toBe(54_000);
    expect(jittered(60_000, 0.1, () => 0.5)).toBe(60_000);
    expect(jittered(60_000, 0.1, almostOne)).toBe(66_000);
    expect(jittered(60_000, 0, () => 0.9)).toBe(60_000);
  });

  it("rejects a fraction outside [0, 1]", () => {
    expect(() => jittered(1000, 1.5, Math.random)).toThrow(RangeError);
    expect(() => jittered(1000, -0.1, Math.random)).toThrow(RangeError);
  });

  it("stays within the band (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (interval, fraction, r) => {
          const d = jittered(interval, fraction, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(interval * (1 - fraction)));
          expect(d).toBeLessThanOrEqual(Math.ceil(interval * (1 + fraction)));
        },
      ),
    );
  });
});
