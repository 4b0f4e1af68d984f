import { posix } from "node:path";
import type { ProblemSink } from "../problems.js";
import { normalizeRoot } from "../find-stack-files.js";

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Compose's rule: a directory name is normalized (lowercased, other characters dropped, leading
 * `-`/`_` trimmed), but an explicit `name:` must already be valid. The directory is the stack's
 * own; a stack given without one (`compose.yaml`) sits directly in `root`, so it takes the root's
 * name, and when the root is the repository itself (`''`) there is no name to take: it must say
 * `name:`.
 */
export function resolveProjectName(
  stackDir: string,
  root: string,
  compose: { name: string | undefined; nameGiven: boolean },
  problems: ProblemSink,
): string | undefined {
  if (compose.nameGiven) {
    if (compose.name === undefined) return undefined;
    if (PROJECT_NAME.test(compose.name)) return compose.name;
    problems.report(["name"], `"${compose.name}" is not a valid project name: use lowercase letters, digits, "-" and "_", starting with a letter or digit`);
    return undefined;
  }
  const dir = stackDir === "" || stackDir === "." ? normalizeRoot(root) : stackDir;
  if (dir === "" || dir === "/") {
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
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[-_]+/, "");
}
