import { parseDurationMs } from "../../duration.js";
import { ConfigInvalidError } from "../../errors.js";

/** `--since`: an ISO date or time (`2026-11-01`, `2026-11-22T14:00:00Z`) or an age in the duration grammar (`90m`, `12h`, `7d`, `2w`, `1d12h`). */
export function parseSince(text: string, now = Date.now()): Date {
  const age = parseDurationMs(text.trim());
  if (age !== undefined) return new Date(now - age);
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new ConfigInvalidError(`--since ${text}: expected a date (2026-11-01, 2026-11-22T14:00:00Z) or an age (12h, 7d, 2w)`);
}
