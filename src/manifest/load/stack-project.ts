import { interpolateTemplate } from "../interpolate/template.js";
import type { VariableScope } from "../interpolate/variable-scope.js";
import type { ProblemLog } from "./problem-log.js";
import { resolveProjectName } from "./resolve-project-name.js";
import type { SourceFile } from "./source-files.js";

export interface StackProject {
  /** Undefined when it could not be resolved (reported). */
  project: string | undefined;
  /** True when it comes from a `name:` rather than the directory. */
  fromName: boolean;
  /** The `name:` as resolved, to put back into the merged document. */
  name: string | undefined;
}

/**
 * A stack's project name, before anything else is read: it decides which host variables file
 * holds the stack's variables. The last of the stack's files that sets `name:` wins (as with
 * `docker compose -f`); variables in it come from the repository's `.env` and (with the setting)
 * the agent's environment, never from the host file it is about to choose. Without `name:`, the
 * main file's directory names the project.
 */
export function stackProject(main: string, dir: string, root: string, sources: readonly SourceFile[], scope: VariableScope, log: ProblemLog): StackProject {
  const naming = [...sources].reverse().find((s) => isMapping(s.data) && Object.hasOwn(s.data, "name"));
  const written = naming ? (naming.data as Record<string, unknown>)["name"] : undefined;
  const sink = log.fileSink(naming?.path ?? main);
  let name = typeof written === "string" ? written : undefined;
  if (naming && typeof written === "string" && written.includes("$")) {
    const repoScope = scope.withoutHost();
    const result = interpolateTemplate(written, (n) => repoScope.lookup(n));
    name = result.text;
    if (result.text === undefined) {
      const missing = result.failures.map((f) => (f.kind === "syntax" ? f.detail : f.name)).join(", ");
      sink.report(
        ["name"],
        `the project name cannot be resolved (${missing}): name: may use variables from ${scope.repoFile} only, since the project name decides which host variables file is read`,
      );
      return { project: undefined, fromName: true, name: undefined };
    }
  }
  // A name: that is not a string is reported by the schema, on the merged document.
  if (naming && typeof written !== "string") return { project: undefined, fromName: true, name: undefined };
  const project = resolveProjectName(dir, root, { name, nameGiven: naming !== undefined }, sink);
  return { project, fromName: naming !== undefined, name };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
