import type { DesiredStack } from "../../model.js";
import { ManifestInvalidError, type ManifestProblem } from "../../errors.js";
import { CommitFiles, DEFAULT_REPO_FILE_SETTINGS, type RepoFileSettings } from "../../files/commit-files.js";
import type { ManifestFile } from "../find-stack-files.js";
import type { RepoTree } from "../repo-tree.js";
import { checkContainerNames } from "../rules/check-container-names.js";
import { checkDuplicateProjects } from "../rules/check-duplicate-projects.js";
import { checkStackDirectories } from "../rules/check-stack-directories.js";
import { byCodePoint } from "../../order.js";
import type { DocPath } from "../format-path.js";
import type { Position } from "../problems.js";
import { loadStackFile } from "./load-stack-file.js";
import type { LoadedFile } from "./loaded-file.js";

/**
 * Reads every file, then runs the rules that compare files. Returns the stacks sorted by file
 * only when there is no problem anywhere; otherwise throws one error listing all of them, sorted
 * by file (in the order given), line and column.
 */
export function loadStacks(files: ManifestFile[], root: string, repo: RepoInputs = {}): DesiredStack[] {
  return loadManifest(files, root, repo).stacks;
}

/**
 * The repository around the stack files: `tree` (the host's directory of the commit) for files the
 * stacks mount or read, and where this host keeps them. Without a tree, every relative path is a
 * data directory.
 */
export interface RepoInputs {
  tree?: RepoTree | undefined;
  files?: RepoFileSettings | undefined;
}

/** Where the stacks were written: positions and written values by file and document path. */
export interface ManifestSources {
  locate(file: string, path: DocPath, at?: "key" | "value"): Position;
  valueAt(file: string, path: DocPath): unknown;
}

/** `loadStacks`, plus the sources, so later checks (the host policy) can report file:line:col too. */
export function loadManifest(files: ManifestFile[], root: string, repo: RepoInputs = {}): { stacks: DesiredStack[]; sources: ManifestSources } {
  const fromRepo = new CommitFiles(repo.tree, root, repo.files ?? DEFAULT_REPO_FILE_SETTINGS);
  const loaded = files.map((file) => loadStackFile(file, root, fromRepo));
  checkStackDirectories(loaded);
  checkDuplicateProjects(loaded);
  checkContainerNames(loaded);
  const problems = loaded.flatMap((f, index) => f.problems.problems.map((p) => ({ p, index })));
  if (problems.length > 0) throw new ManifestInvalidError(problems.sort(byPosition).map(({ p }) => p));
  const stacks = loaded.flatMap((f) => (f.stack ? [f.stack] : [])).sort((a, b) => byCodePoint(a.file, b.file));
  return { stacks, sources: sourcesOf(loaded) };
}

function sourcesOf(loaded: LoadedFile[]): ManifestSources {
  const byFile = new Map(loaded.map((f) => [f.file, f.source]));
  return {
    locate: (file, path, at = "value") => byFile.get(file)?.locate(path, at) ?? { line: 1, col: 1 },
    valueAt: (file, path) => valueAt(byFile.get(file)?.data, path),
  };
}

function valueAt(data: unknown, path: DocPath): unknown {
  let node = data;
  for (const segment of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function byPosition(a: { p: ManifestProblem; index: number }, b: { p: ManifestProblem; index: number }): number {
  return a.index - b.index || a.p.line - b.p.line || a.p.col - b.p.col;
}
