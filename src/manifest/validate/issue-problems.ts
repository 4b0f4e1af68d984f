import type { z } from "zod";
import type { DocPath } from "../format-path.js";
import type { ManifestEngine } from "../load/load-environment.js";
import { unsupportedKeyMessage } from "./unsupported-keys.js";

export interface IssueProblem {
  path: DocPath;
  message: string;
  at: "key" | "value";
}

/**
 * Turns zod's issues into problems at document paths. Unknown keys become one problem per key,
 * placed on the key, except `x-*` extension keys, which Compose lets any mapping carry. For a value
 * that matches no alternative of a union, the alternative of the value's own type (a mapping for a
 * mapping) explains it best; without one, the union's own message does.
 */
export function issueProblems(issues: readonly z.core.$ZodIssue[], base: DocPath = [], engine: ManifestEngine = "containers"): IssueProblem[] {
  return issues.flatMap((issue) => problemsOf(issue, [...base, ...issue.path.map(segment)], engine));
}

function problemsOf(issue: z.core.$ZodIssue, path: DocPath, engine: ManifestEngine): IssueProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .filter((key) => !key.startsWith("x-"))
      .map((key) => ({ path: [...path, key], message: unsupportedKeyMessage(path, key, engine), at: "key" as const }));
  }
  if (issue.code === "invalid_union") {
    const branch = branchOfMatchingType(issue.errors);
    if (branch) return issueProblems(branch, path, engine);
  }
  return [{ path, message: issue.message, at: "value" }];
}

function branchOfMatchingType(branches: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
  const candidates = branches.filter((issues) => !issues.some((i) => i.code === "invalid_type" && i.path.length === 0));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** zod paths may hold symbols in theory; documents only have string keys and indexes. */
function segment(key: PropertyKey): string | number {
  return typeof key === "number" ? key : String(key);
}
