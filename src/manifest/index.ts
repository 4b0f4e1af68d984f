/**
 * The manifest stage: Compose files from Git in, normalized DesiredStacks out, or one
 * ManifestInvalidError that lists every problem in every file with its file:line:col.
 *
 * Pipeline per file: size limit and YAML (yaml/) → `${VAR}` refusal and `$$` unescaping
 * (rules/refuse-interpolation) → zod schema (schema/, validate/) → project name (load/) →
 * normalization into the model (normalize/) → semantic rules (rules/); then the rules that compare
 * files (duplicate projects, container names, two files in one directory).
 */
import type { DesiredStack } from "../model.js";
import type { ManifestFile } from "./find-stack-files.js";
import { loadManifest as loadWithSources, loadStacks as loadAll, type ManifestSources, type RepoInputs } from "./load/load-stacks.js";

export { COMPOSE_FILE_NAMES, findStackFiles, type ManifestFile } from "./find-stack-files.js";
export { MAX_ALIAS_COUNT, MAX_MANIFEST_BYTES } from "./yaml/read-yaml-document.js";
export type { ManifestSources, RepoInputs } from "./load/load-stacks.js";
export { SECRETS_DIR, secretMountPath } from "./normalize/normalize-secrets.js";

/**
 * Parses, validates and normalizes every file. Throws ManifestInvalidError listing every problem
 * across all files. `opts.root` names the directory the stacks were found in: a file directly in
 * it (a path without a directory) takes the root's basename as its project name. `opts.tree` is the
 * host's directory of the commit: relative paths in the stacks are resolved in it (files of the
 * repository, mounted from gitdock's store under `opts.files.store`; anything else a data directory
 * under `opts.files.dataRoot`).
 */
export function loadStacks(files: ManifestFile[], opts: { root: string } & RepoInputs): DesiredStack[] {
  return loadAll(files, opts.root, opts);
}

/** `loadStacks`, plus where everything was written, for checks that run after it (the host policy). */
export function loadManifest(files: ManifestFile[], opts: { root: string } & RepoInputs): { stacks: DesiredStack[]; sources: ManifestSources } {
  return loadWithSources(files, opts.root, opts);
}
