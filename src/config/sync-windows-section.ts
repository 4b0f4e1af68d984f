/**
 * The config form of sync windows (`agent.sync_windows`): the schema of one window as written, and
 * its conversion into the `SyncWindow` the agent decides with (src/agent/sync-windows.ts). A
 * schedule that is not a cron expression, a time zone that does not exist and a schedule that never
 * fires are refused when the config is read, not when the window is first consulted.
 */
import { CronTime } from "cron";
import { z } from "zod";
import { DURATION_EXAMPLES, DURATION_PATTERN, durationProblem, parseDuration } from "../duration.js";
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
    duration: z.string().regex(DURATION_PATTERN, `expected a duration, ${DURATION_EXAMPLES}`).describe("how long the window stays open, e.g. 1h, 30m, 1h30m"),
    time_zone: z.string().optional().describe("IANA time zone the schedule is read in (default UTC)"),
    manual_sync: z.boolean().optional().describe("let a manual sync through while this window holds commits back"),
    drift_repair: z.boolean().optional().describe("repair drift toward the current commit while this window holds commits back (default true)"),
  })
  .superRefine((w, ctx) => {
    // The shape is checked by the regex above; this catches what it lets through ("0m").
    const durationTrouble = DURATION_PATTERN.test(w.duration) ? durationProblem(w.duration) : undefined;
    if (durationTrouble !== undefined) ctx.addIssue({ code: "custom", path: ["duration"], message: durationTrouble });
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
