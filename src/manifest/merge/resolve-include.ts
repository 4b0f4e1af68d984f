import type { DocPath } from "../format-path.js";
import { dirOf, resolveRepoPath } from "../load/repo-paths.js";
import type { MergeContext } from "./merge-documents.js";
import type { Origin } from "./origins.js";

export interface IncludeContext extends MergeContext {
  /** The directory the host reads: included files must stay inside it. */
  root: string;
  exists(path: string): boolean;
  /**
   * An included project: its files (merged in order, each with its own `extends` and `include`
   * resolved), with variables from its own `.env` (or `envFiles`) under the stack's.
   * Undefined when it could not be read (already reported).
   */
  loadProject(paths: string[], envFiles: string[] | undefined, chain: string[]): unknown;
}

/** Top-level sections whose entries an included file contributes. */
const SECTIONS = ["services", "networks", "volumes", "secrets", "configs"] as const;

/** How deep included files may include others. */
export const MAX_INCLUDE_DEPTH = 8;

/**
 * `include` (the Compose Specification, "Include"): each entry names Compose files (relative to
 * the file that includes them, inside the host's directory) loaded as a project of their own, whose
 * services, networks, volumes and secrets are added to this stack. A name both define is an error
 * (Compose does not merge included resources). `chain` holds the files being included, to stop cycles.
 */
export function resolveIncludes(doc: unknown, chain: string[], ctx: IncludeContext): unknown {
  if (!isMapping(doc) || !Object.hasOwn(doc, "include")) return doc;
  const { include, ...rest } = doc;
  ctx.origins.copy(doc, rest);
  if (!Array.isArray(include)) {
    report(ctx, ctx.origins.childOf(doc, "include"), ["include"], "expected a list of files, or of mappings with path");
    return rest;
  }
  let result: Record<string, unknown> = rest;
  include.forEach((entry, i) => {
    const at = ctx.origins.childOf(include, i);
    const included = at && includeEntry(entry, at, chain, ctx);
    if (included !== undefined) result = addResources(result, included, at as Origin, ctx);
  });
  return result;
}

function includeEntry(entry: unknown, at: Origin, chain: string[], ctx: IncludeContext): Record<string, unknown> | undefined {
  const spec = typeof entry === "string" ? { path: entry } : entry;
  if (!isMapping(spec)) return fail(ctx, at, "expected a file, or a mapping with path (and env_file)");
  if (spec["project_directory"] !== undefined) {
    return fail(
      ctx,
      { file: at.file, path: [...at.path, "project_directory"] },
      "not supported by gitdock (an included project's paths are relative to its own file)",
    );
  }
  const unknown = Object.keys(spec).filter((k) => !["path", "env_file"].includes(k) && !k.startsWith("x-"));
  if (unknown.length > 0)
    return fail(ctx, { file: at.file, path: [...at.path, unknown[0] as string] }, "not supported by gitdock (include takes path and env_file)");
  const paths = resolveAll(spec["path"], at, "path", ctx);
  const envFiles = spec["env_file"] === undefined ? undefined : resolveAll(spec["env_file"], at, "env_file", ctx);
  if (paths === undefined || paths.length === 0 || (spec["env_file"] !== undefined && envFiles === undefined)) return undefined;
  const cycle = paths.find((p) => chain.includes(p));
  if (cycle !== undefined) return fail(ctx, at, `include forms a cycle: ${[...chain, cycle].join(" -> ")}`);
  if (chain.length > MAX_INCLUDE_DEPTH) return fail(ctx, at, `files include each other more than ${MAX_INCLUDE_DEPTH} deep`);
  const project = ctx.loadProject(paths, envFiles, [...chain, ...paths]);
  return isMapping(project) ? project : undefined;
}

/** One path or a list of them, resolved against the including file's directory. */
function resolveAll(value: unknown, at: Origin, key: string, ctx: IncludeContext): string[] | undefined {
  const list = typeof value === "string" ? [value] : value;
  // For a short entry (`- other.yaml`) the key does not exist and the position falls back to the entry.
  const where: Origin = { file: at.file, path: [...at.path, key] };
  if (!Array.isArray(list) || !list.every((p): p is string => typeof p === "string")) return fail(ctx, where, "expected a path or a list of paths");
  const out: string[] = [];
  for (const written of list) {
    const resolved = resolveRepoPath(dirOf(at.file), written, ctx.root);
    if ("error" in resolved) return fail(ctx, where, resolved.error);
    if (!ctx.exists(resolved.path)) return fail(ctx, where, `${resolved.path} does not exist in the repository`);
    out.push(resolved.path);
  }
  return out;
}

function addResources(doc: Record<string, unknown>, included: Record<string, unknown>, at: Origin, ctx: IncludeContext): Record<string, unknown> {
  const out = { ...doc };
  ctx.origins.copy(doc, out);
  for (const section of SECTIONS) {
    const theirs = included[section];
    if (!isMapping(theirs)) continue;
    const ours = isMapping(doc[section]) ? doc[section] : {};
    const merged = { ...ours };
    ctx.origins.copy(ours, merged);
    const sectionOrigin = ctx.origins.of(ours) ?? ctx.origins.of(theirs);
    if (sectionOrigin) ctx.origins.set(merged, sectionOrigin);
    ctx.budget.spend(Object.keys(ours).length);
    for (const key of Object.keys(theirs)) {
      ctx.budget.spend();
      const from = ctx.origins.childOf(theirs, key);
      if (Object.hasOwn(ours, key)) {
        const where = ctx.origins.childOf(ours, key);
        report(
          ctx,
          at,
          [section, key],
          `${section.slice(0, -1)} "${key}" from ${from?.file ?? "an included file"} is also defined in ${where?.file ?? "this stack"}; Compose does not merge included resources: rename one, or use an override file`,
        );
        continue;
      }
      merged[key] = theirs[key];
      if (from) ctx.origins.setChild(merged, key, from);
    }
    out[section] = merged;
  }
  return out;
}

function fail(ctx: IncludeContext, at: Origin, message: string): undefined {
  report(ctx, at, at.path, message);
  return undefined;
}

function report(ctx: IncludeContext, at: Origin | undefined, logical: DocPath, message: string): void {
  if (at) ctx.log.add({ file: at.file, at: { path: at.path, side: "value" }, logical, message });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
