/**
 * Output that ends up in a gate failure (healthcheck logs, probe errors) is shown in one log line,
 * in the failed-commit reason and in git notes. Keep it to one short line, and blank out the
 * obvious secret shapes a healthcheck might echo (URL credentials, `token=...`-style pairs).
 */

const DEFAULT_MAX = 200;

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;
const SECRET_PAIRS = /\b(password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi;

/** Collapse whitespace, redact credentials, and cut to `max` characters (with an ellipsis). */
export function oneLine(text: string, max = DEFAULT_MAX): string {
  const flat = text
    .replace(URL_CREDENTIALS, "$1***@")
    .replace(SECRET_PAIRS, "$1$2***")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** `120000` → `120s`, `1500` → `1.5s`, `250` → `250ms`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${Number(s.toFixed(1))}s`;
}
