import { splitSignedLine } from "../fleet/outcome-signature.js";
import type { OutcomeLine } from "../fleet/verify-reports.js";
import type { CommitOutcome } from "../reconcile/context.js";

/**
 * One host's line in a commit's Git note, e.g.
 *   `web-1 applied 2026-11-22T14:02:11Z healthy`
 *   `web-2 rolled-back 2026-11-22T14:03:40Z health: web-1 http 500 on /healthz`
 *   `web-3 rejected 2026-11-22T14:04:02Z invalid: hosts/web-3/shop/compose.yaml:4:12: ...`
 *   `web-4 applied 2026-11-22T14:05:30Z healthy; images signed by key SHA256:3q2+7w… (12)`
 * Host, verb and time are single words; the rest of the line is the detail. Lines are merged
 * across hosts by their exact text (merge-notes.ts), so a line is fully determined by the outcome.
 * The image signers were added to the detail later: an older gitdock reads such a line as a detail
 * like any other, and this parser reads a line without them as it always did. So was the host's
 * signature, ` sshsig:<base64>` at the very end (src/fleet/outcome-signature.ts), which this parser
 * takes off before it reads the rest.
 */

export type NoteVerb = "applied" | "rolled-back" | "rejected" | "paused" | "withdrawn";

export interface NoteLine {
  host: string;
  verb: NoteVerb;
  /** ISO time to the second, UTC: `2026-11-22T14:02:11Z`. */
  at: string;
  detail: string;
  /** On `applied` lines: who signed the commit's images, each with how many (`key SHA256:… (3)`). */
  imageSigners?: string[];
}

/** Longest detail kept in a note; the journal keeps the whole reason. */
export const MAX_DETAIL_CHARS = 300;

const VERBS: Record<CommitOutcome["outcome"], NoteVerb> = {
  healthy: "applied",
  "rolled-back": "rolled-back",
  rejected: "rejected",
  paused: "paused",
  withdrawn: "withdrawn",
};

/** `2026-11-22T14:02:11.123Z` → `2026-11-22T14:02:11Z`. */
export function noteTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${iso}`);
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** One line of text: control characters and runs of whitespace become one space, then capped. */
export function oneLine(text: string, max = MAX_DETAIL_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A reason as one line: its `hint:` lines (advice for the operator, not what happened) left out. */
export function reasonSummary(reason: string, max = MAX_DETAIL_CHARS): string {
  return oneLine(
    reason
      .split("\n")
      .filter((l) => !/^\s*hint:/.test(l))
      .join("\n"),
    max,
  );
}

const IMAGE_SIGNERS = "; images signed by ";

export function noteLineFor(o: CommitOutcome): NoteLine {
  const verb = VERBS[o.outcome];
  if (o.outcome === "healthy" && o.imageSigners?.length) {
    return { host: o.hostId, verb, at: noteTime(o.at), detail: oneLine(`healthy${IMAGE_SIGNERS}${o.imageSigners.join(", ")}`), imageSigners: o.imageSigners };
  }
  const detail = o.outcome === "healthy" ? "healthy" : reasonSummary(o.reason ?? o.outcome);
  return { host: o.hostId, verb, at: noteTime(o.at), detail: detail || o.outcome };
}

export function formatNoteLine(l: NoteLine): string {
  return `${l.host} ${l.verb} ${l.at} ${l.detail}`;
}

const LINE = /^(\S+) (applied|rolled-back|rejected|paused|withdrawn) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (.+)$/;

/** Parses a line gitdock wrote; undefined for any other text (a person's note, say). */
export function parseNoteLine(text: string): NoteLine | undefined {
  const m = LINE.exec(splitSignedLine(text).line);
  if (!m) return undefined;
  const parsed: NoteLine = { host: m[1]!, verb: m[2] as NoteVerb, at: m[3]!, detail: m[4]! };
  const signers = parsed.verb === "applied" ? imageSignersIn(parsed.detail) : undefined;
  return signers ? { ...parsed, imageSigners: signers } : parsed;
}

/** `healthy; images signed by key SHA256:a (2), keyless x (y) (1)` → the signers; anything else → undefined. */
function imageSignersIn(detail: string): string[] | undefined {
  const at = detail.indexOf(IMAGE_SIGNERS);
  if (at < 0) return undefined;
  const signers = detail
    .slice(at + IMAGE_SIGNERS.length)
    .split(/(?<=\(\d+\)), /)
    .filter((s) => s !== "");
  return signers.length > 0 ? signers : undefined;
}

/** A note's line with what it says and its signature apart, for the wave rule (fleet/verify-reports.ts). */
export function outcomeLineOf(text: string): OutcomeLine | undefined {
  const { line, signature } = splitSignedLine(text);
  const parsed = parseNoteLine(line);
  return parsed ? { host: parsed.host, verb: parsed.verb, at: parsed.at, detail: parsed.detail, line, signature } : undefined;
}
