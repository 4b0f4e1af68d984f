/**
 * Sync windows with Argo CD's meaning. Pure: `decideWindows` takes the clock as an argument.
 *
 *  - No windows: new commits are applied.
 *  - Any active deny window: new commits wait (deny wins over allow).
 *  - Allow windows exist and none is active: new commits wait.
 *  - Drift repair toward the commit already running goes on, unless an active deny window says
 *    `drift_repair: false`, or allow windows exist, none is active and every one of them says so.
 *  - `manual_sync: true` lets a manual sync (`gitdock sync --now`, `POST /sync` with the agent's
 *    token; never a webhook, poll or event: pass-scheduler.ts `isManualPass`) through: past
 *    active deny windows when all of them allow it, past inactive allow windows when any does.
 *
 * A window is active at `now` when the latest occurrence of its schedule at or before `now` is
 * less than its duration ago. The `cron` package only looks forward, so this asks for the first
 * occurrence strictly after `now - duration`: the window is active iff that occurrence is <= now.
 * Schedules are evaluated in the window's time zone, UTC by default (as Argo CD does).
 */
import { CronTime } from "cron";
import { z } from "zod";
import { ConfigInvalidError } from "../errors.js";

export interface SyncWindow {
  kind: "allow" | "deny";
  /** Cron expression, 5 fields (minute first) or 6 (second first), or a preset like `@daily`. */
  schedule: string;
  durationMs: number;
  /** IANA zone the schedule is read in; UTC when absent. */
  timeZone?: string;
  manualSync?: boolean;
  /** Default true: repair toward the current commit still runs while the window holds commits back. */
  driftRepair: boolean;
}

export interface WindowDecision {
  newCommits: "allowed" | "waiting";
  driftRepair: boolean;
  activeWindows: SyncWindow[];
  reason: string;
}

export interface DecideOptions {
  /** The reconcile was asked for with the agent's token (`sync --now`, `POST /sync`), not a webhook, poll or event. */
  manual?: boolean;
}

export function decideWindows(windows: SyncWindow[], now: Date, opts: DecideOptions = {}): WindowDecision {
  if (windows.length === 0) {
    return { newCommits: "allowed", driftRepair: true, activeWindows: [], reason: "no sync windows" };
  }
  const active = windows.filter((w) => isWindowActive(w, now));
  const activeDeny = active.filter((w) => w.kind === "deny");
  const allows = windows.filter((w) => w.kind === "allow");
  const activeAllow = active.filter((w) => w.kind === "allow");
  const outsideAllAllows = allows.length > 0 && activeAllow.length === 0;

  const driftRepair = !activeDeny.some((w) => !w.driftRepair) && !(outsideAllAllows && allows.every((w) => !w.driftRepair));
  const decision = (newCommits: WindowDecision["newCommits"], reason: string): WindowDecision => ({
    newCommits,
    driftRepair,
    activeWindows: active,
    reason: driftRepair || newCommits === "allowed" ? reason : `${reason}; drift repair is off`,
  });

  if (activeDeny.length > 0) {
    const names = activeDeny.map(describeWindow).join(", ");
    if (opts.manual && activeDeny.every((w) => w.manualSync === true)) {
      return decision("allowed", `manual sync allowed during deny window ${names}`);
    }
    return decision("waiting", `deny window active: ${names}`);
  }
  if (activeAllow.length > 0) {
    return decision("allowed", `allow window active: ${activeAllow.map(describeWindow).join(", ")}`);
  }
  if (outsideAllAllows) {
    if (opts.manual && allows.some((w) => w.manualSync === true)) {
      return decision("allowed", "manual sync allowed outside the allow windows");
    }
    return decision("waiting", `outside every allow window (${allows.map(describeWindow).join(", ")})`);
  }
  return decision("allowed", "no deny window active");
}

/** True when the latest occurrence at or before `now` is less than `durationMs` ago. */
export function isWindowActive(window: SyncWindow, now: Date): boolean {
  if (window.durationMs <= 0) return false;
  const start = new Date(now.getTime() - window.durationMs);
  const next = nextOccurrenceAfter(window.schedule, window.timeZone, start);
  return next.getTime() <= now.getTime();
}

/** First occurrence strictly after `after` (whole seconds, as cron schedules are). */
export function nextOccurrenceAfter(schedule: string, timeZone: string | undefined, after: Date): Date {
  const zone = timeZone ?? "UTC";
  try {
    const cron = new CronTime(schedule, zone);
    return cron.getNextDateFrom(after, zone).toJSDate();
  } catch (err) {
    throw new ConfigInvalidError(`sync window schedule "${schedule}" cannot be evaluated: ${errorText(err)}`, {
      cause: err,
      hint: "Fix the sync window in the agent's config.",
    });
  }
}

export function describeWindow(w: SyncWindow): string {
  return `${w.kind} "${w.schedule}" for ${formatDuration(w.durationMs)}${w.timeZone ? ` (${w.timeZone})` : ""}`;
}

// --- Durations ------------------------------------------------------------------------------

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_SHAPE = /^(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1_000, 1] as const;

/**
 * Parse `1h30m`, `45m`, `10s`, `2d`, `500ms` (units largest first, each at most once) into
 * milliseconds. Throws a RangeError for anything else, including a zero duration.
 */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === "") {
    throw new RangeError(`invalid duration "${text}": expected e.g. 1h, 30m, 1h30m, 10s`);
  }
  let ms = 0;
  UNIT_MS.forEach((unit, i) => {
    const n = m[i + 1];
    if (n !== undefined) ms += Number(n) * unit;
  });
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new RangeError(`invalid duration "${text}": must be greater than zero`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  (["d", "h", "m", "s", "ms"] as const).forEach((suffix, i) => {
    const unit = UNIT_MS[i] ?? 1;
    const n = Math.floor(rest / unit);
    if (n > 0) parts.push(`${n}${suffix}`);
    rest -= n * unit;
  });
  return parts.length > 0 ? parts.join("") : "0s";
}

// --- Config form ----------------------------------------------------------------------------

function cronProblem(schedule: string, timeZone: string | undefined): string | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (!schedule.trim().startsWith("@") && (fields.length < 5 || fields.length > 6)) {
    return `expected 5 or 6 fields, got ${fields.length}`;
  }
  try {
    const zone = timeZone ?? "UTC";
    const cron = new CronTime(schedule, zone);
    try {
      // A schedule that never fires (for example 30 February) fails here, at load time.
      cron.getNextDateFrom(new Date(), zone);
    } catch {
      return "it never fires";
    }
    return undefined;
  } catch (err) {
    return errorText(err);
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** One window as written in the agent's config file. JSON-Schema friendly: no transforms. */
export const syncWindowSchema = z
  .strictObject({
    kind: z.enum(["allow", "deny"]).describe("allow: new commits apply only while the window is active; deny: they wait"),
    schedule: z.string().min(1).describe("cron expression (5 fields, or 6 with seconds first) at which the window opens"),
    duration: z.string().regex(DURATION_SHAPE, "expected a duration such as 1h, 30m or 1h30m").describe("how long the window stays open, e.g. 1h, 30m, 1h30m"),
    time_zone: z.string().optional().describe("IANA time zone the schedule is read in (default UTC)"),
    manual_sync: z.boolean().optional().describe("let a manual sync through while this window holds commits back"),
    drift_repair: z.boolean().optional().describe("repair drift toward the current commit while this window holds commits back (default true)"),
  })
  .superRefine((w, ctx) => {
    // The shape is checked by the regex above; this catches what it lets through ("", "0m").
    if (DURATION_SHAPE.test(w.duration)) {
      try {
        parseDuration(w.duration);
      } catch (err) {
        ctx.addIssue({ code: "custom", path: ["duration"], message: errorText(err) });
      }
    }
    if (w.time_zone !== undefined && !isTimeZone(w.time_zone)) {
      ctx.addIssue({ code: "custom", path: ["time_zone"], message: `unknown time zone "${w.time_zone}"` });
      return;
    }
    const problem = cronProblem(w.schedule, w.time_zone);
    if (problem !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["schedule"],
        message: `invalid cron expression "${w.schedule}": ${problem}`,
      });
    }
  });

export type SyncWindowConfig = z.input<typeof syncWindowSchema>;

export const syncWindowsSchema = z.array(syncWindowSchema);

/** Convert one validated config entry. */
export function toSyncWindow(form: z.output<typeof syncWindowSchema>): SyncWindow {
  const w: SyncWindow = {
    kind: form.kind,
    schedule: form.schedule,
    durationMs: parseDuration(form.duration),
    driftRepair: form.drift_repair ?? true,
  };
  if (form.time_zone !== undefined) w.timeZone = form.time_zone;
  if (form.manual_sync !== undefined) w.manualSync = form.manual_sync;
  return w;
}

/**
 * Validate and convert the config's list of windows. Every problem is reported at once, each
 * naming the window's index (`sync_windows[1].schedule: invalid cron expression "…": …`).
 */
export function parseSyncWindows(raw: unknown, where = "sync_windows"): SyncWindow[] {
  const result = syncWindowsSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
      return `${where}${path}: ${issue.message}`;
    });
    throw new ConfigInvalidError(`invalid sync windows:\n${lines.join("\n")}`, {
      hint: "Fix the sync windows in the agent's config.",
      data: { problems: lines },
    });
  }
  return result.data.map(toSyncWindow);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
