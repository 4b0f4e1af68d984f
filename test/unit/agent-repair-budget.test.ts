import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RepairBudget } from "../../src/agent/repair-budget.js";

const MIN = 60_000;

describe("RepairBudget", () => {
  it("allows max repairs per window, then suppresses", () => {
    const b = new RepairBudget({ max: 3, windowMs: 10 * MIN });
    expect([0, 1, 2].map((i) => b.allow("shop/web", i * MIN))).toEqual([true, true, true]);
    expect(b.allow("shop/web", 3 * MIN)).toBe(false);
    expect(b.suppressed()).toEqual(["shop/web"]);
    expect(b.remaining("shop/web", 3 * MIN)).toBe(0);
  });

  it("counts keys separately", () => {
    const b = new RepairBudget({ max: 1, windowMs: MIN });
    expect(b.allow("a", 0)).toBe(true);
    expect(b.allow("b", 0)).toBe(true);
    expect(b.allow("a", 1)).toBe(false);
    expect(b.suppressed()).toEqual(["a"]);
  });

  it("the window slides: the oldest repair leaves after windowMs", () => {
    const b = new RepairBudget({ max: 2, windowMs: 10 * MIN });
    b.allow("k", 0);
    b.allow("k", 5 * MIN);
    expect(b.allow("k", 9 * MIN)).toBe(false);
    expect(b.allow("k", 10 * MIN - 1)).toBe(false);
    expect(b.allow("k", 10 * MIN)).toBe(true); // the repair at 0 is exactly windowMs old: out
    expect(b.suppressed()).toEqual([]);
    expect(b.allow("k", 14 * MIN)).toBe(false); // 5 and 10 still inside
    expect(b.allow("k", 15 * MIN)).toBe(true);
  });

  it("refused attempts do not consume budget", () => {
    const b = new RepairBudget({ max: 1, windowMs: MIN });
    b.allow("k", 0);
    for (let t = 1; t < MIN; t += 1000) expect(b.allow("k", t)).toBe(false);
    expect(b.allow("k", MIN)).toBe(true);
  });

  it("reset gives a fresh budget; prune forgets idle keys", () => {
    const b = new RepairBudget({ max: 1, windowMs: MIN });
    b.allow("k", 0);
    b.allow("k", 1);
    b.reset("k");
    expect(b.suppressed()).toEqual([]);
    expect(b.allow("k", 2)).toBe(true);
    b.prune(10 * MIN);
    expect(b.remaining("k", 10 * MIN)).toBe(1);
  });

  it("max 0 suppresses every repair", () => {
    const b = new RepairBudget({ max: 0, windowMs: MIN });
    expect(b.allow("k", 0)).toBe(false);
  });

  it("rejects nonsense options", () => {
    expect(() => new RepairBudget({ max: -1, windowMs: MIN })).toThrow(RangeError);
    expect(() => new RepairBudget({ max: 1.5, windowMs: MIN })).toThrow(RangeError);
    expect(() => new RepairBudget({ max: 1, windowMs: 0 })).toThrow(RangeError);
  });

  it("never allows more than max within any window (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }),
        (max, windowMs, gaps) => {
          const b = new RepairBudget({ max, windowMs });
          const allowed: number[] = [];
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            if (b.allow("k", now)) allowed.push(now);
          }
          for (const t of allowed) {
            expect(allowed.filter((u) => u > t - windowMs && u <= t).length).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });
});
