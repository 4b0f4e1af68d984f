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
import type { SyncWindow } from "../config/sync-windows-section.js";
import { formatDuration } from "../duration.js";
import { ConfigInvalidError } from "../errors.js";

export type { SyncWindow };

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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
