/**
 * Cutting text to a service's documented limits, so a long reason shortens a message instead of
 * making the service refuse it (a 400 that retrying cannot fix).
 */

const ELLIPSIS = "…";

/** At most `max` UTF-16 code units (how Discord and Slack count), ending in … when cut; never splits a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - ELLIPSIS.length;
  if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
  return text.slice(0, Math.max(0, cut)) + ELLIPSIS;
}

/** At most `max` bytes of UTF-8 (how ntfy counts a message), ending in … when cut. */
export function clipBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const room = max - Buffer.byteLength(ELLIPSIS);
  let out = "";
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (used + size > room) break;
    out += ch;
    used += size;
  }
  return out + ELLIPSIS;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
