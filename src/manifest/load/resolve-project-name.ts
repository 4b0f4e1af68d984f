import { posix } from "node:path";
import type { ProblemSink } from "../problems.js";
import type { ValidatedCompose } from "../validate/validate-compose.js";

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Compose's rule: a directory name is normalized (lowercased, other characters dropped, leading
 * `-`/`_` trimmed), but an explicit `name:` must already be valid. A file at the repository root
 * has no directory to take a name from, so it must say `name:`.
 */
export function resolveProjectName(file: string, compose: ValidatedCompose, problems: ProblemSink): string | undefined {
  if (compose.nameGiven) {
    if (compose.name === undefined) return undefined;
    if (PROJECT_NAME.test(compose.name)) return compose.name;
    problems.report(["name"], `"${compose.name}" is not a valid project name: use lowercase letters, digits, "-" and "_", starting with a letter or digit`);
    return undefined;
  }
  const dir = posix.dirname(file);
  if (dir === "." || dir === "/" || dir === "") {
    problems.report([], "a compose file at the repository root has no directory name to use as the project name; set a top-level name:");
    return undefined;
  }
  const base = posix.basename(dir);
  const normalized = normalizeProjectName(base);
  if (PROJECT_NAME.test(normalized)) return normalized;
  problems.report([], `the directory name "${base}" does not make a valid project name; set a top-level name:`);
  return undefined;
}

export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[-_]+/, "");
}
