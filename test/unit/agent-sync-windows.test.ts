import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigInvalidError } from "../../src/errors.js";
import { decideWindows, isWindowActive } from "../../src/agent/sync-windows.js";
import { parseSyncWindows, syncWindowSchema, type SyncWindow } from "../../src/config/sync-windows-section.js";
import { formatDuration, parseDuration } from "../../src/duration.js";

const HOUR = 3_600_000;
const at = (iso: string): Date => new Date(iso);
const win = (w: Partial<SyncWindow> & Pick<SyncWindow, "kind" | "schedule" | "durationMs">): SyncWindow => ({
  driftRepair: true,
  ...w,
});

// Daily at 22:00 UTC for 2h: active in [22:00, 24:00).
const nightly = (kind: "allow" | "deny", extra: Partial<SyncWindow> = {}) => win({ kind, schedule: "0 22 * * *", durationMs: 2 * HOUR, ...extra });

describe("isWindowActive", () => {
  it.each([
    ["2024-05-01T21:59:59Z", false],
    ["2024-05-01T22:00:00Z", true],
    ["2024-05-01T22:00:00.001Z", true],
    ["2024-05-01T23:59:59.999Z", true],
    ["2024-05-02T00:00:00Z", false],
    ["2024-05-02T12:00:00Z", false],
  ])("nightly window at %s → %s", (iso, active) => {
    expect(isWindowActive(nightly("deny"), at(iso))).toBe(active);
  });

  it("handles windows spanning midnight and the month end", () => {
    const w = win({ kind: "deny", schedule: "30 23 31 * *", durationMs: 3 * HOUR });
    expect(isWindowActive(w, at("2024-05-31T23:30:00Z"))).toBe(true);
    expect(isWindowActive(w, at("2024-06-01T02:29:59Z"))).toBe(true);
    expect(isWindowActive(w, at("2024-06-01T02:30:00Z"))).toBe(false);
    expect(isWindowActive(w, at("2024-06-30T23:45:00Z"))).toBe(false); // June has no 31st
  });

  it("reads the schedule in the window's time zone", () => {
    // 09:00 in New York is 13:00 UTC in summer (EDT).
    const w = win({ kind: "deny", schedule: "0 9 * * *", durationMs: HOUR, timeZone: "America/New_York" });
    expect(isWindowActive(w, at("2024-07-01T13:30:00Z"))).toBe(true);
    expect(isWindowActive(w, at("2024-07-01T09:30:00Z"))).toBe(false);
  });

  it("supports 6-field schedules with seconds", () => {
    const w = win({ kind: "deny", schedule: "30 0 12 * * *", durationMs: 10_000 });
    expect(isWindowActive(w, at("2024-01-01T12:00:29Z"))).toBe(false);
    expect(isWindowActive(w, at("2024-01-01T12:00:35Z"))).toBe(true);
    expect(isWindowActive(w, at("2024-01-01T12:00:40Z"))).toBe(false);
  });

  it("weekday windows (Mon-Fri 09:00 for 8h)", () => {
    const w = win({ kind: "allow", schedule: "0 9 * * 1-5", durationMs: 8 * HOUR });
    expect(isWindowActive(w, at("2024-05-06T10:00:00Z"))).toBe(true); // Monday
    expect(isWindowActive(w, at("2024-05-04T10:00:00Z"))).toBe(false); // Saturday
  });

  it("agrees with a brute-force minute scan (property)", () => {
    const base = at("2024-03-01T00:00:00Z").getTime();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 36 * 60 }),
        fc.integer({ min: 0, max: 4 * 24 * 60 * 60 }),
        (minute, hour, durationMin, offsetSec) => {
          const w = win({ kind: "deny", schedule: `${minute} ${hour} * * *`, durationMs: durationMin * 60_000 });
          const now = base + offsetSec * 1000;
          // Occurrences at or before now that are less than the duration ago.
          let expected = false;
          for (let day = -3; day <= 4; day++) {
            const t = base + day * 24 * HOUR + hour * HOUR + minute * 60_000;
            if (t <= now && now - t < w.durationMs) expected = true;
          }
          expect(isWindowActive(w, new Date(now))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("decideWindows", () => {
  const inside = at("2024-05-01T23:00:00Z");
  const outside = at("2024-05-01T12:00:00Z");

  it("no windows: allowed, drift repair on", () => {
    expect(decideWindows([], inside)).toMatchObject({ newCommits: "allowed", driftRepair: true, activeWindows: [] });
  });

  it("an active deny window holds new commits back; drift repair still runs by default", () => {
    const d = decideWindows([nightly("deny")], inside);
    expect(d).toMatchObject({ newCommits: "waiting", driftRepair: true });
    expect(d.activeWindows).toHaveLength(1);
    expect(d.reason).toContain("deny window active");
  });

  it("an inactive deny window allows", () => {
    expect(decideWindows([nightly("deny")], outside)).toMatchObject({ newCommits: "allowed", driftRepair: true });
  });

  it("allow windows: allowed inside, waiting outside", () => {
    expect(decideWindows([nightly("allow")], inside)).toMatchObject({ newCommits: "allowed" });
    const d = decideWindows([nightly("allow")], outside);
    expect(d).toMatchObject({ newCommits: "waiting", driftRepair: true });
    expect(d.reason).toContain("outside every allow window");
  });

  it("deny wins over an active allow window", () => {
    expect(decideWindows([nightly("allow"), nightly("deny")], inside)).toMatchObject({ newCommits: "waiting" });
  });

  it("an active deny window with drift_repair false turns repair off", () => {
    expect(decideWindows([nightly("deny", { driftRepair: false })], inside)).toMatchObject({
      newCommits: "waiting",
      driftRepair: false,
    });
    expect(decideWindows([nightly("deny", { driftRepair: false })], outside).driftRepair).toBe(true);
  });

  it("outside all allow windows, repair stops only when every allow window says so", () => {
    const a = nightly("allow", { driftRepair: false });
    const b = win({ kind: "allow", schedule: "0 3 * * *", durationMs: HOUR, driftRepair: false });
    expect(decideWindows([a, b], outside).driftRepair).toBe(false);
    expect(decideWindows([a, { ...b, driftRepair: true }], outside).driftRepair).toBe(true);
    expect(decideWindows([a, b], inside)).toMatchObject({ newCommits: "allowed", driftRepair: true });
  });

  it("manual sync passes deny windows only when all active ones allow it", () => {
    const m = nightly("deny", { manualSync: true });
    expect(decideWindows([m], inside, { manual: true }).newCommits).toBe("allowed");
    expect(decideWindows([m], inside).newCommits).toBe("waiting");
    expect(decideWindows([m, nightly("deny")], inside, { manual: true }).newCommits).toBe("waiting");
  });

  it("manual sync passes outside allow windows when any allows it", () => {
    const ws = [nightly("allow", { manualSync: true }), win({ kind: "allow", schedule: "0 3 * * *", durationMs: HOUR })];
    expect(decideWindows(ws, outside, { manual: true }).newCommits).toBe("allowed");
    expect(decideWindows(ws, outside).newCommits).toBe("waiting");
  });
});

describe("parseDuration", () => {
  it.each([
    ["1h", HOUR],
    ["30m", 30 * 60_000],
    ["1h30m", 90 * 60_000],
    ["45m", 45 * 60_000],
    ["10s", 10_000],
    ["2d", 48 * HOUR],
    ["500ms", 500],
    ["1m30s", 90_000],
    // The one duration grammar (src/duration.ts) is Go's plus days and weeks: decimals and any order too.
    ["1.5h", 90 * 60_000],
    ["30m1h", 90 * 60_000],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(["", "1", "h", "1x", "1h 30m", "-1h", "0m", "1hh"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe("syncWindowSchema and parseSyncWindows", () => {
  it("parses the config form", () => {
    const ws = parseSyncWindows([
      { kind: "deny", schedule: "0 22 * * *", duration: "1h30m", time_zone: "Europe/Berlin", drift_repair: false },
      { kind: "allow", schedule: "0 9 * * 1-5", duration: "8h", manual_sync: true },
    ]);
    expect(ws).toEqual([
      { kind: "deny", schedule: "0 22 * * *", durationMs: 90 * 60_000, timeZone: "Europe/Berlin", driftRepair: false },
      { kind: "allow", schedule: "0 9 * * 1-5", durationMs: 8 * HOUR, manualSync: true, driftRepair: true },
    ]);
  });

  it("names the window index and the expression of an invalid cron", () => {
    let err: unknown;
    try {
      parseSyncWindows([
        { kind: "deny", schedule: "0 22 * * *", duration: "1h" },
        { kind: "deny", schedule: "61 25 * * *", duration: "1h" },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect((err as Error).message).toMatch(/sync_windows\[1\]\.schedule: invalid cron expression "61 25 \* \* \*"/);
  });

  it.each([
    [{ kind: "deny", schedule: "* * *", duration: "1h" }, /\[0\]\.schedule: invalid cron expression "\* \* \*": expected 5 or 6 fields/],
    [{ kind: "deny", schedule: "0 0 30 2 *", duration: "1h" }, /\[0\]\.schedule: invalid cron expression "0 0 30 2 \*": it never fires/],
    [{ kind: "deny", schedule: "0 0 * * *", duration: "soon" }, /\[0\]\.duration/],
    [{ kind: "deny", schedule: "0 0 * * *", duration: "1h", time_zone: "Mars/Olympus" }, /\[0\]\.time_zone: unknown time zone/],
    [{ kind: "maybe", schedule: "0 0 * * *", duration: "1h" }, /\[0\]\.kind/],
    [{ kind: "deny", schedule: "0 0 * * *", duration: "1h", extra: 1 }, /sync_windows\[0\]/],
  ])("rejects %j", (raw, message) => {
    expect(() => parseSyncWindows([raw])).toThrow(message);
  });

  it("the schema alone validates one window", () => {
    expect(syncWindowSchema.safeParse({ kind: "allow", schedule: "@daily", duration: "1h" }).success).toBe(true);
    expect(syncWindowSchema.safeParse({ kind: "allow", schedule: "nope", duration: "1h" }).success).toBe(false);
  });
});
