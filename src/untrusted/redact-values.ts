/**
 * Blanking out known values (a service's environment values and secret contents) in text a
 * container produced, before gitdock's local log shows an excerpt of it. Pure: the values are
 * given; `service-redactor.ts` gathers them for one service.
 *
 * Matching is literal (no regular expressions, so values full of `.*+?[](){}|\^$` are just text),
 * case-sensitive, and overlapping or adjacent matches become one `[redacted]`. It is a best effort
 * for the operator's own log, not a guarantee: a container can always print a value transformed
 * (reversed, base64, one character per line), which is why container output never leaves the host.
 */

export const REDACTED = "[redacted]";

/**
 * Values shorter than this are not redacted: `1`, `on`, `yes`, `443` would blank out every
 * occurrence of those characters and leave nothing readable, and a 3-character value is guessed
 * from the context anyway. Use secrets of real length.
 */
export const MIN_REDACTED_LENGTH = 4;

export interface Redactor {
  redact(text: string): string;
}

/** A redactor for these values; values shorter than MIN_REDACTED_LENGTH are left alone. */
export function valueRedactor(values: Iterable<string>): Redactor {
  const needles = redactionNeedles(values);
  return { redact: (text) => redactNeedles(text, needles) };
}

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;
// `password=`, `API_TOKEN=`, `db_secret: ...`: the key may carry a prefix (`\w*?`).
const SECRET_PAIRS = /\b(\w*?(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|authorization))(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi;

/**
 * Blank out the obvious secret shapes whatever their value: URL credentials (`https://user:pw@`)
 * and `token=...`-style pairs. A second line of defence for values gitdock was not told about.
 */
export function redactCredentialShapes(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1***@").replace(SECRET_PAIRS, "$1$2***");
}

/** A redactor that blanks nothing: for text that holds no values of anyone's (tests, gitdock's own words). */
export const NOTHING_TO_REDACT: Redactor = { redact: (text) => text };

/**
 * What to look for: each value as it is, trimmed (a secret file usually ends with a newline the
 * container's `cat` prints, or a shell strips), and each of its lines (a multi-line secret, such as a
 * PEM key, may be printed in part). Longest first, so the widest match is found.
 */
function redactionNeedles(values: Iterable<string>): string[] {
  const found = new Set<string>();
  const add = (v: string) => {
    if (v.length >= MIN_REDACTED_LENGTH) found.add(v);
  };
  for (const value of values) {
    add(value);
    add(value.trim());
    for (const line of value.split(/\r?\n/)) add(line.trim());
  }
  return [...found].sort((a, b) => b.length - a.length);
}

function redactNeedles(text: string, needles: readonly string[]): string {
  if (!needles.length || !text) return text;
  const spans: [number, number][] = [];
  for (const needle of needles) {
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) spans.push([i, i + needle.length]);
    const cut = cutOffPrefix(text, needle);
    if (cut > 0) spans.push([text.length - cut, text.length]);
  }
  if (!spans.length) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  let [start, end] = spans[0]!;
  for (const [s, e] of spans.slice(1)) {
    if (s <= end) {
      end = Math.max(end, e);
      continue;
    }
    out += text.slice(at, start) + REDACTED;
    at = end;
    [start, end] = [s, e];
  }
  return out + text.slice(at, start) + REDACTED + text.slice(end);
}

/**
 * The length of the longest beginning of `needle` (at least MIN_REDACTED_LENGTH, shorter than the
 * needle) that the text ends with, or 0. Docker keeps only the first 4 KiB of a healthcheck's
 * output, so a value can be cut off by the end of the text, and its beginning is still the value.
 */
function cutOffPrefix(text: string, needle: string): number {
  const longest = Math.min(needle.length - 1, text.length);
  for (let k = longest; k >= MIN_REDACTED_LENGTH; k--) {
    const p = text.length - k;
    if (text.charCodeAt(p) === needle.charCodeAt(0) && text.startsWith(needle.slice(0, k), p)) return k;
  }
  return 0;
}
