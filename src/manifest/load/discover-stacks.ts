import { posix } from "node:path";
import { COMPOSE_FILE_NAMES } from "../find-stack-files.js";
import type { RepoTree } from "../repo-tree.js";
import { STACK_INDEX_NAMES, stackIndexSchema } from "../schema/stack-index-schema.js";
import { reportProblems, schemaProblems } from "../validate/validate-part.js";
import type { ProblemLog } from "./problem-log.js";
import { dirOf, resolveRepoPath } from "./repo-paths.js";
import type { SourceFiles } from "./source-files.js";

/** Override files Compose merges over the main file when they sit next to it. */
export const OVERRIDE_FILE_NAMES: readonly string[] = [
  "compose.override.yaml",
  "compose.override.yml",
  "docker-compose.override.yaml",
  "docker-compose.override.yml",
];

/** One stack: the files that make it, merged in order. */
export interface StackPlan {
  /** The stack's directory (repository path; "" for the repository root). */
  dir: string;
  /** The file that names the stack: `DesiredStack.file`, and the file whose directory names the project. */
  main: string;
  /** Every file of the stack in merge order, `main` first. */
  files: string[];
  /** The `gitdock.yaml` that listed the files, if one did. */
  index: string | undefined;
}

/** The directories whose files are stacks: the host's directory and the directories right below it. */
export function stackDirectories(tree: RepoTree, root: string): string[] {
  const below = [...tree.dirs].filter((d) => d !== root && dirOf(d) === root && !hidden(posix.basename(d)));
  return [root, ...below.sort()];
}

/** Files directly in each directory, by directory. */
export function filesByDirectory(tree: RepoTree): Map<string, string[]> {
  const byDir = new Map<string, string[]>();
  for (const path of tree.files.keys()) {
    const dir = dirOf(path);
    const files = byDir.get(dir);
    if (files) files.push(path);
    else byDir.set(dir, [path]);
  }
  return byDir;
}

/**
 * The stacks of the host's directory `root`, in `dirs` (stackDirectories: it and one directory
 * below): a directory's stack is named by its `gitdock.yaml`, or else is its compose file plus
 * the override file next to it. Two compose files in one directory are two plans (the ambiguity
 * is reported with both, later). Plans come in the order of their main files in the tree.
 */
export function discoverStacks(tree: RepoTree, dirs: readonly string[], files: SourceFiles, log: ProblemLog, root: string): StackPlan[] {
  const byDir = filesByDirectory(tree);
  const plans = dirs.flatMap((dir) => planDirectory(dir, byDir.get(dir) ?? [], root, files, log));
  const order = new Map([...tree.files.keys()].map((p, i) => [p, i]));
  return plans.sort((a, b) => (order.get(a.main) ?? 0) - (order.get(b.main) ?? 0));
}

/** The stacks of one directory, from the files directly in it. */
export function planDirectory(dir: string, paths: readonly string[], root: string, files: SourceFiles, log: ProblemLog): StackPlan[] {
  const named = (names: readonly string[]) => names.map((n) => paths.find((p) => posix.basename(p) === n)).filter((p): p is string => p !== undefined);
  const indexes = named(STACK_INDEX_NAMES);
  if (indexes.length > 1) {
    for (const index of indexes)
      log.add({ file: index, at: { pos: { line: 1, col: 1 }, path: "" }, logical: [], message: `ambiguous stack index: keep one of ${indexes.join(", ")}` });
    return [];
  }
  if (indexes.length === 1) return planFromIndex(dir, indexes[0] as string, root, files, log);
  const mains = named(COMPOSE_FILE_NAMES);
  const overrides = named(OVERRIDE_FILE_NAMES);
  if (overrides.length > 1 && mains.length > 0) {
    for (const o of overrides)
      log.add({
        file: o,
        at: { pos: { line: 1, col: 1 }, path: "" },
        logical: [],
        message: `ambiguous override file: ${overrides.filter((x) => x !== o).join(", ")} is in the same directory; keep one`,
      });
  }
  const override = mains.length === 1 && overrides.length === 1 ? overrides : [];
  return mains.map((main) => ({ dir, main, files: [main, ...override], index: undefined }));
}

function planFromIndex(dir: string, index: string, root: string, files: SourceFiles, log: ProblemLog): StackPlan[] {
  const source = files.get(index);
  if (source === undefined) return [];
  const sink = log.fileSink(index);
  const problems = schemaProblems(stackIndexSchema, source.data ?? {}, []);
  if (source.data === null || source.data === undefined) sink.report([], "the stack index is empty; list the stack's Compose files under files:");
  reportProblems(problems, sink);
  if (problems.length > 0 || source.data === null || source.data === undefined) return [];
  const listed = (source.data as { files: string[] }).files;
  const resolved: string[] = [];
  listed.forEach((written, i) => {
    const r = resolveRepoPath(dir, written, root);
    if ("error" in r) sink.report(["files", i], r.error);
    else if (!files.has(r.path)) sink.report(["files", i], `${r.path} does not exist in the repository`);
    else if (resolved.includes(r.path)) sink.report(["files", i], `${written} is listed twice`);
    else resolved.push(r.path);
  });
  if (resolved.length !== listed.length) return [];
  return [{ dir, main: resolved[0] as string, files: resolved, index }];
}

function hidden(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
}
