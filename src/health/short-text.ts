/**
 * A gate failure's detail is gitdock's own words (check, exit code, HTTP status, probe path), shown
 * in one log line, in the failed-commit reason and in git notes. Keep it to one short line; the
 * credential shapes are blanked out as a second line of defence (a probe path comes from the
 * manifest, and its query string is never shown). Container output never comes through here: it is
 * UntrustedText (src/untrusted), shown only as a redacted excerpt in the local log.
 */
import { redactCredentialShapes } from "../untrusted/index.js";

const DEFAULT_MAX = 200;

// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\u0000-\u001f\u007f-\u009f\s]+/g;

/** Redact credential shapes, collapse control characters and whitespace, cut to `max` characters (with an ellipsis). */
export function oneLine(text: string, max = DEFAULT_MAX): string {
  const flat = redactCredentialShapes(text).replace(CONTROL_OR_SPACE, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** `120000` → `120s`, `1500` → `1.5s`, `250` → `250ms`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${Number(s.toFixed(1))}s`;
}
