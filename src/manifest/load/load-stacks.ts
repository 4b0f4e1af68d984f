import { posix } from "node:path";
import { HostVariableMissingError, ManifestInvalidError, type ManifestProblem } from "../../errors.js";
import type { DesiredStack } from "../../model.js";
import { byCodePoint } from "../../order.js";
import { COMPOSE_FILE_NAMES, normalizeRoot, type ManifestFile } from "../find-stack-files.js";
import type { DocPath } from "../format-path.js";
import type { Position } from "../problems.js";
import type { RepoTree } from "../repo-tree.js";
import { checkContainerNames } from "../rules/check-container-names.js";
import { checkDuplicateProjects } from "../rules/check-duplicate-projects.js";
import { checkStackDirectories } from "../rules/check-stack-directories.js";
import { checkUndeployedFiles } from "../rules/check-undeployed-files.js";
import { discoverStacks, filesByDirectory, planDirectory, stackDirectories, type StackPlan } from "./discover-stacks.js";
import { LoadEnvironment, type ManifestInputs } from "./load-environment.js";
import { loadStack } from "./load-stack.js";
import type { LoadedFile } from "./loaded-file.js";
import { dirOf, isInside } from "./repo-paths.js";

/** Where the stacks were written: positions and written values by stack file and document path. */
export interface ManifestSources {
  /** Where `path` of the stack whose main file is `file` is written: possibly in another file (an override, an extended or included file). */
  locate(file: string, path: DocPath, at?: "key" | "value"): Position & { file: string };
  valueAt(file: string, path: DocPath): unknown;
  /** Problems found after loading (the host policy), with any value from a host variables file replaced by its variable's name. */
  maskHostValues(problems: readonly ManifestProblem[]): ManifestProblem[];
}

export interface LoadedManifest {
  stacks: DesiredStack[];
  sources: ManifestSources;
  /** What the host must provide (variables only it can set, in `gitdock validate`) and files left undeployed. */
  notes: ManifestProblem[];
}

/**
 * Every stack of the host's directory `root` of `tree` (tree.root unless given). Throws
 * ManifestInvalidError listing every problem in every file, sorted by file (in the order read),
 * line and column; or HostVariableMissingError when the only problems are variables the host must set.
 */
export function loadManifestTree(tree: RepoTree, inputs: TreeInputs = {}): LoadedManifest {
  // Repository paths as the tree names them ("hosts/web-1"; for `gitdock validate`, maybe "/abs/dir").
  const root = (inputs.root ?? tree.root).replace(/(.)\/+$/, "$1");
  const env = new LoadEnvironment(tree, root, inputs);
  const dirs = inputs.belowRoot === false ? [root] : stackDirectories(tree, root);
  const plans = discoverStacks(tree, dirs, env.files, env.log, root);
  return finish(plans, env, dirs);
}

/** Where the stacks of a tree are: `root` (default tree.root), and the directories right below it unless `belowRoot` is false. */
export type TreeInputs = ManifestInputs & { root?: string; belowRoot?: boolean };

/**
 * The older form: the given compose files are the stacks (each with the override file, `.env`
 * and index among the given files next to it), `root` the directory they were found in. Other
 * given files (extended, included, `.env`) are only read when a stack names them.
 */
export function loadManifestFiles(files: ManifestFile[], root: string, inputs: ManifestInputs = {}): LoadedManifest {
  const tree = treeOf(files, root);
  const base = normalizeRoot(root);
  const containing = files.every((f) => isInside(f.path, base) || dirOf(f.path) === base) ? base : "";
  const env = new LoadEnvironment(tree, containing, inputs, base);
  const byDir = filesByDirectory(tree);
  const dirs = [...byDir.keys()].filter((dir) => (byDir.get(dir) ?? []).some((p) => isStackFile(p)));
  const plans = dirs.flatMap((dir) => planDirectory(dir, byDir.get(dir) ?? [], containing, env.files, env.log));
  const order = new Map(files.map((f, i) => [f.path, i]));
  plans.sort((a, b) => (order.get(a.main) ?? 0) - (order.get(b.main) ?? 0));
  return finish(plans, env, [...byDir.keys()]);
}

function finish(plans: StackPlan[], env: LoadEnvironment, dirs: string[]): LoadedManifest {
  const loaded = plans.map((plan) => loadStack(plan, env));
  checkStackDirectories(loaded);
  checkDuplicateProjects(loaded);
  checkContainerNames(loaded);
  // A file a stack mounts or reads as an env_file is part of a stack too, whatever it looks like.
  const used = new Set([...env.used, ...env.repoFiles.read]);
  checkUndeployedFiles(env.tree, dirs, filesByDirectory(env.tree), new Set(plans.map((p) => p.dir)), used, env.log);
  const placed = env.log.place(env.files);
  if (placed.problems.length > 0) {
    throw placed.hostInputsOnly ? new HostVariableMissingError(placed.problems) : new ManifestInvalidError(placed.problems);
  }
  const stacks = loaded.flatMap((f) => (f.stack ? [f.stack] : [])).sort((a, b) => byCodePoint(a.file, b.file));
  return { stacks, sources: sourcesOf(loaded, env), notes: placed.notes };
}

function sourcesOf(loaded: LoadedFile[], env: LoadEnvironment): ManifestSources {
  const byFile = new Map(loaded.map((f) => [f.file, f.source]));
  const originOf = (file: string, path: DocPath) => {
    const source = byFile.get(file);
    return source?.origins.at(source.data, path) ?? { file, path };
  };
  return {
    locate: (file, path, at = "value") => {
      const origin = originOf(file, path);
      return { file: origin.file, ...env.files.place(origin.file, origin.path, at).pos };
    },
    valueAt: (file, path) => valueAt(byFile.get(file)?.data, path),
    maskHostValues: (problems) =>
      problems.map((p) => {
        let message = p.message;
        for (const f of loaded) if (f.source) message = f.source.mask.maskAnywhere(message);
        return { ...p, message };
      }),
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

/** The given files as a tree, in the order given. */
function treeOf(files: ManifestFile[], root: string): RepoTree {
  const map = new Map(files.map((f) => [f.path, Buffer.from(f.content, "utf8")]));
  const dirs = new Set<string>([normalizeRoot(root)]);
  for (const f of files) for (let d = dirOf(f.path); d !== "" && !dirs.has(d); d = dirOf(d)) dirs.add(d);
  return { root: normalizeRoot(root), files: map, dirs };
}

function isStackFile(path: string): boolean {
  const name = posix.basename(path);
  return COMPOSE_FILE_NAMES.includes(name) || name === "gitdock.yaml" || name === "gitdock.yml";
}
