import type { z } from "zod";
import type { DocPath } from "../format-path.js";
import type { ProblemSink } from "../problems.js";
import { describeIssue } from "./describe-issue.js";
import { issueProblems, type IssueProblem } from "./issue-problems.js";

/** The problems `schema` finds in `value`, at paths under `base`. */
export function schemaProblems(schema: z.ZodType, value: unknown, base: DocPath): IssueProblem[] {
  const result = schema.safeParse(value, { reportInput: true, error: describeIssue });
  return result.success ? [] : issueProblems(result.error.issues, base);
}

/**
 * Validates one part of a document and returns it typed, or undefined when it has problems (which
 * the caller reports separately). The value is returned as written, not as zod's output: the
 * schemas have no transforms or defaults, so the two are the same except for `x-*` keys that a
 * strict object refuses and gitdock ignores.
 */
export function validPart<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> | undefined {
  return schemaProblems(schema, value, []).length === 0 ? (value as z.infer<S>) : undefined;
}

export function reportProblems(problems: readonly IssueProblem[], sink: ProblemSink): void {
  for (const p of problems) sink.report(p.path, p.message, p.at);
}
