import type { DocPath } from "../format-path.js";
import type { ProblemLog } from "../load/problem-log.js";
import type { SourceFile } from "../load/source-files.js";
import type { Origins } from "../merge/origins.js";
import { convertSubstituted } from "./convert-type.js";
import type { SubstitutionLog } from "./substitutions.js";
import { interpolateTemplate, type TemplateFailure } from "./template.js";
import type { VariableScope } from "./variable-scope.js";

export interface InterpolationContext {
  origins: Origins;
  substitutions: SubstitutionLog;
  log: ProblemLog;
}

/**
 * One file's values with variables substituted (keys never are, as in Compose), each value
 * converted to the type its key takes (convert-type.ts), as a fresh tree: every use of an anchored
 * node gets its own copy, since the same text may mean a number under one key and a string under
 * another. Every mapping and list is recorded in `origins` at its path in the file.
 *
 * The top-level `name:` is left as written: the project name decides which host file holds the
 * variables, so it is resolved from the repository's `.env` alone (load/stack-project.ts).
 */
export function interpolateDocument(file: SourceFile, scope: VariableScope, ctx: InterpolationContext): unknown {
  const walk = (value: unknown, path: DocPath): unknown => {
    if (typeof value === "string") return path.length === 1 && path[0] === "name" ? value : substitute(value, path);
    if (typeof value !== "object" || value === null) return value;
    const out: unknown = Array.isArray(value)
      ? value.map((item, i) => walk(item, [...path, i]))
      : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    ctx.origins.set(out as object, { file: file.path, path });
    return out;
  };
  const substitute = (text: string, path: DocPath): unknown => {
    const result = interpolateTemplate(text, (name) => scope.lookup(name));
    if (!result.changed) return text;
    if (result.text === undefined) {
      for (const failure of result.failures) report(failure, path, file.path, scope, ctx.log);
      ctx.substitutions.record(file.path, path, { written: text, hostVariables: [], unresolved: true });
      return text;
    }
    const hostVariables = result.used.filter((name) => scope.isSecret(name));
    if (hostVariables.length > 0) ctx.substitutions.record(file.path, path, { written: text, hostVariables, unresolved: false });
    return convertSubstituted(result.text, path);
  };
  return walk(file.data, []);
}

function report(failure: TemplateFailure, path: DocPath, file: string, scope: VariableScope, log: ProblemLog): void {
  const at = { path, side: "value" as const };
  if (failure.kind === "syntax") {
    log.add({ file, at, logical: path, message: `invalid interpolation: ${failure.detail}; write $$ for a literal $` });
    return;
  }
  const { name } = failure;
  const why = failure.kind === "required" ? `${failure.empty ? "is empty" : "is not set"}${failure.message ? ` (${failure.message})` : ""}` : "is not set";
  if (!scope.hostKnown) {
    const fromRepo = scope.sourceOf(name) === "repository" ? `is empty in ${scope.repoFile}` : `is not set in ${scope.repoFile}`;
    log.add({ file, at, logical: path, note: true, message: `variable ${name} ${fromRepo}: the host must set it in ${scope.hostFile}` });
    return;
  }
  log.add({
    file,
    at,
    logical: path,
    hostInput: true,
    message: `variable ${name} ${why}: set it on the host in ${scope.hostFile}, or give a default in the file (\${${name}:-value}) or in ${scope.repoFile}`,
  });
}
