/**
 * The manifest stage: the host's directory of a commit (a RepoTree) in, normalized DesiredStacks
 * out, or one error that lists every problem in every file with its file:line:col. Pure: whatever
 * it reads from the repository comes from the tree, and whatever it knows of the host (its
 * variables, the agent's environment when allowed, the active profiles, where it keeps files of
 * the repository and data directories) is passed in.
 *
 * Per stack (load/): its files (load/discover-stacks: `gitdock.yaml`, or the compose file and its
 * override file) → YAML with positions, `!reset`/`!override`, the expanded-size limit (yaml/) →
 * the project name → variables substituted in each file, typed by the schema (interpolate/) →
 * `extends` → the files merged by Compose's rules → `include` (merge/) → `environment: [FOO]`
 * passed through → zod schema (schema/, validate/) → normalization into the model (normalize/;
 * relative bind sources, env_file, configs and secrets resolved in the tree from the directory of
 * the file that wrote them, files/, and named by their content in gitdock's store) → semantic rules and profiles (rules/). Then the rules that compare stacks (duplicate projects,
 * container names, two compose files in one directory, Compose files no stack deploys). Every
 * problem is placed in the file where its text was written, once for text several services share.
 */
import type { DesiredStack } from "../model.js";
import type { ManifestFile } from "./find-stack-files.js";
import type { ManifestInputs } from "./load/load-environment.js";
import { loadManifestFiles, loadManifestTree, type LoadedManifest, type TreeInputs } from "./load/load-stacks.js";
import type { RepoTree } from "./repo-tree.js";

export { COMPOSE_FILE_NAMES, findStackFiles, type ManifestFile } from "./find-stack-files.js";
export { MAX_MANIFEST_BYTES } from "./yaml/read-yaml-document.js";
export { EXPANSION_FACTOR } from "./yaml/expanded-size.js";
export type { LoadedManifest, ManifestSources, TreeInputs } from "./load/load-stacks.js";
export type { ManifestEngine, ManifestInputs } from "./load/load-environment.js";
export { CommitFiles, DEFAULT_REPO_FILE_SETTINGS, type RepoFileSettings } from "./files/commit-files.js";
export { objectsMountedBy } from "./files/mounted-objects.js";
export { MAX_STORED_BYTES_PER_COMMIT, MAX_STORED_FILE_BYTES, storeDirOf } from "./files/store-layout.js";
export type { HostVariables } from "./interpolate/variable-scope.js";
export { OVERRIDE_FILE_NAMES } from "./load/discover-stacks.js";
export { STACK_INDEX_NAMES } from "./schema/stack-index-schema.js";
export { manifestProjects } from "./load/manifest-projects.js";
export { parseDotenv } from "./interpolate/parse-dotenv.js";
export { groupSharedProblems } from "./load/problem-log.js";
export { SECRETS_DIR, secretMountPath } from "./normalize/normalize-secrets.js";

/**
 * Parses, validates and normalizes every stack. Throws ManifestInvalidError listing every problem
 * (or HostVariableMissingError when the only problems are variables the host must set).
 *
 * Given a RepoTree, the stacks are found in it: in its root (or `inputs.root`) and one directory
 * below (unless `inputs.belowRoot` is false). Relative paths the stacks mount or read are resolved
 * in the tree: files of the repository, mounted from gitdock's store (`inputs.files.store`), and
 * anything else a data directory (under `inputs.files.dataRoot`). Given files (the older form),
 * each compose file among them is a stack, and `opts.root` names the directory they were found in:
 * a file directly in it takes the root's basename as its project name; the given files are then
 * the whole tree.
 */
export function loadManifest(tree: RepoTree, inputs?: TreeInputs): LoadedManifest;
export function loadManifest(files: ManifestFile[], opts: { root: string } & ManifestInputs): LoadedManifest;
export function loadManifest(source: RepoTree | ManifestFile[], opts: TreeInputs = {}): LoadedManifest {
  if (Array.isArray(source)) return loadManifestFiles(source, opts.root ?? "", opts);
  return loadManifestTree(source, opts);
}

/** `loadManifest`, the stacks only. */
export function loadStacks(files: ManifestFile[], opts: { root: string } & ManifestInputs): DesiredStack[] {
  return loadManifestFiles(files, opts.root, opts).stacks;
}
