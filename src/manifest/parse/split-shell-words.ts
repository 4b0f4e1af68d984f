export type SplitResult = { words: string[] } | { error: string };

/**
 * Splits a string `command:` or `entrypoint:` the way Compose does: shell-like quoting, but no
 * shell. Whitespace separates words; single quotes keep everything literally; double quotes keep
 * whitespace and let a backslash escape the next character; outside quotes a backslash escapes the
 * next character. Operators such as `&&` or `|` are plain characters here, as with Python's
 * `shlex.split` that docker-compose v1 used: to run a pipeline, write `["sh", "-c", "..."]`.
 */
export function splitShellWords(line: string): SplitResult {
  const words: string[] = [];
  let word = "";
  let started = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? "";
    if (ch === "\\" && quote !== "'") {
      if (i + 1 >= line.length) return { error: "ends with a lone backslash" };
      word += line[++i];
      started = true;
    } else if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += ch;
      started = true;
    }
  }
  if (quote !== undefined) return { error: `has an unterminated ${quote === "'" ? "single" : "double"} quote` };
  if (started) words.push(word);
  return { words };
}
