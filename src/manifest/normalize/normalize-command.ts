import type { ProblemSink } from "../problems.js";
import { splitShellWords } from "../parse/split-shell-words.js";

/** `command` / `entrypoint`: a list stays as written; a string is split into words, never run by a shell. */
export function normalizeCommand(input: string | string[] | undefined, problems: ProblemSink): string[] | undefined {
  if (input === undefined || Array.isArray(input)) return input;
  const result = splitShellWords(input);
  if ("words" in result) return result.words;
  problems.report([], `${result.error}; quote it properly or write a list`);
  return undefined;
}
