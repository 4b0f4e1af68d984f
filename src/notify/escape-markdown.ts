/**
 * Text for the services that read Markdown (Discord's content and embeds, the Adaptive Card of a
 * Teams message), so a value a commit chose — a commit subject, a path or a name in a reason —
 * reads as the characters it is and never as markup: no masked link (`[docs](https://evil)` shows
 * its address nowhere), no autolink in angle brackets, no bold, heading, quote, list or spoiler that
 * would make it look like more of gitdock's own message than it is.
 *
 * A backslash before ASCII punctuation is CommonMark's escape, which both services follow. A bare
 * address is left as it is: it links, but shows where it goes.
 */

/** Characters that open or close markup wherever they stand. */
const INLINE_MARKUP = /[\\`*_~|[\]()<>#]/g;

/**
 * What opens a block at the start of a line: a list item (`- `, `+ `, `1. `, `1) `), a thematic
 * break or a setext heading's underline (`---`, `===`).
 */
const LINE_START_MARKUP = /^(\s*)([-+=]|\d+(?=[.)]))/gm;

export function escapeMarkdown(text: string): string {
  return text.replace(INLINE_MARKUP, "\\$&").replace(LINE_START_MARKUP, (_m, indent: string, opener: string) => `${indent}${escapeOpener(opener)}`);
}

/** `-` becomes `\-`; `12` (before its `.` or `)`) becomes `12\`, escaping the delimiter after it. */
function escapeOpener(opener: string): string {
  return /^\d/.test(opener) ? `${opener}\\` : `\\${opener}`;
}
