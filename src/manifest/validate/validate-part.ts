import type { z } from "zod";
import type { DocPath } from "../format-path.js";
import type { ManifestEngine } from "../load/load-environment.js";
import type { ProblemSink } from "../problems.js";
import { describeIssue } from "./describe-issue.js";
import { issueProblems, type IssueProblem } from "./issue-problems.js";

/** The problems `schema` finds in `value`, at paths under `base`; `engine` words the reasons keys are refused. */
export function schemaProblems(schema: z.ZodType, value: unknown, base: DocPath, engine: ManifestEngine = "containers"): IssueProblem[] {
  const result = schema.safeParse(value, { reportInput: true, error: describeIssue });
  return result.success ? [] : issueProblems(result.error.issues, base, engine);
}

export function reportProblems(problems: readonly IssueProblem[], sink: ProblemSink): void {
  for (const p of problems) sink.report(p.path, p.message, p.at);
}
