import { ConfigInvalidError } from "../../errors.js";

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: an ISO date or time (`2026-11-01`, `2026-11-22T14:00:00Z`) or an age (`90m`, `12h`, `7d`, `2w`). */
export function parseSince(text: string, now = Date.now()): Date {
  const age = /^(\d+)([mhdw])$/.exec(text.trim());
  if (age) return new Date(now - Number(age[1]) * UNITS[age[2]!]!);
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new ConfigInvalidError(`--since ${text}: expected a date (2026-11-01, 2026-11-22T14:00:00Z) or an age (12h, 7d, 2w)`);
}
