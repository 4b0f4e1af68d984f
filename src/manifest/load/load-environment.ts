import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import { CommitFiles, DEFAULT_REPO_FILE_SETTINGS, type RepoFileSettings } from "../files/commit-files.js";
import type { ManifestSecrets } from "../files/encrypted-repo-files.js";
import { encryptedVariablesLayer } from "./encrypted-variables.js";
import { parseDotenv } from "../interpolate/parse-dotenv.js";
import { processLayer, VariableScope, type HostVariables, type VariableLayer } from "../interpolate/variable-scope.js";
import { joinRepoPath, textOf, type RepoTree } from "../repo-tree.js";
import { ProblemLog } from "./problem-log.js";
import { SourceFiles } from "./source-files.js";

/** Where a host keeps each project's variables unless the agent's config says otherwise (`manifest.variables_dir`). */
const DEFAULT_VARIABLES_DIR = CONFIG_DEFAULTS.manifest.variables_dir;

/**
 * What the stacks run as (the agent's `engine:`): containers on this host's Engine, or services of
 * the Swarm it manages. It decides which Compose keys are read and which are problems.
 */
export type ManifestEngine = "containers" | "swarm";

/** What the caller passes in: everything the manifest stage knows about the host (it reads no files). */
export interface ManifestInputs {
  /** Default `containers`. Under `swarm`, each service also gets `DesiredService.swarm`, and what a Swarm service cannot carry is a problem. */
  engine?: ManifestEngine;
  /**
   * The host's variables per project, read by the agent on the host. Without it (`gitdock
   * validate`), a variable only the host could set is a note, and what depends on it is not judged.
   */
  hostVariables?: HostVariables;
  /** The agent's environment, only when `manifest.process_environment` allows it. */
  processEnvironment?: Readonly<Record<string, string | undefined>>;
  /** Active profiles (`manifest.profiles`): services with `profiles:` are deployed only when one is active. */
  profiles?: readonly string[];
  /**
   * Where this host keeps files of the repository (gitdock's store) and data directories: the
   * stacks' mounts name them. Without it, the defaults (`/var/lib/gitdock/files`, `/srv/gitdock`).
   */
  files?: RepoFileSettings;
  /**
   * The host's decryption of the commit's encrypted files (secrets/decrypt-commit-files.ts). Without
   * it (`gitdock validate` without `--identity`), encrypted files are judged by their structure only.
   */
  secrets?: ManifestSecrets;
}

/** What one load shares across its stacks: the tree, parsed files, problems, the variables, and files the stacks mount. */
export class LoadEnvironment {
  readonly files: SourceFiles;
  /** Relative paths the stacks mount or read (bind sources, env_file, configs), resolved in the tree. */
  readonly repoFiles: CommitFiles;
  readonly log = new ProblemLog();
  /** Every file a stack read, for the check that no Compose file sits there undeployed. */
  readonly used = new Set<string>();
  private readonly dotenvs = new Map<string, VariableLayer | undefined>();

  constructor(
    readonly tree: RepoTree,
    /** The host's directory: files outside it are never read. */
    readonly root: string,
    private readonly inputs: ManifestInputs,
    /** The directory that names a stack found directly in it (`root`, unless the older API was given files outside it). */
    readonly nameRoot: string = root,
  ) {
    this.files = new SourceFiles(tree);
    this.repoFiles = new CommitFiles(tree, root, inputs.files ?? DEFAULT_REPO_FILE_SETTINGS, inputs.secrets);
  }

  get engine(): ManifestEngine {
    return this.inputs.engine ?? "containers";
  }

  get profiles(): readonly string[] {
    return this.inputs.profiles ?? [];
  }

  /** The variables of a stack in `dir`: its `.env`, the agent's environment if allowed, the host's file for `project`. */
  scopeFor(dir: string, project: string | undefined): VariableScope {
    const repoFile = joinRepoPath(dir, ".env");
    const host = this.inputs.hostVariables;
    const hostFile = project === undefined ? `${DEFAULT_VARIABLES_DIR}/<project>.env` : (host?.fileFor(project) ?? `${DEFAULT_VARIABLES_DIR}/${project}.env`);
    const values = project === undefined ? undefined : host?.valuesFor(project);
    const layers: VariableLayer[] = [...this.repositoryLayers([repoFile]), ...processLayer(this.inputs.processEnvironment)];
    if (values !== undefined) layers.push({ source: "host", values });
    return new VariableScope(layers, host !== undefined && (values !== undefined || project === undefined), hostFile, repoFile);
  }

  /** `.env`-format files of the repository as layers; a missing one is no layer, a broken line a problem. */
  repositoryLayers(paths: readonly string[]): VariableLayer[] {
    return paths.flatMap((path) => {
      if (!this.dotenvs.has(path)) this.dotenvs.set(path, this.readDotenv(path));
      const layer = this.dotenvs.get(path);
      return layer ? [layer] : [];
    });
  }

  private readDotenv(path: string): VariableLayer | undefined {
    const text = textOf(this.tree, path);
    if (text === undefined) return undefined;
    const bytes = this.tree.files.get(path) as Uint8Array;
    const encrypted = this.repoFiles.inspections.inspect(path, bytes);
    if (encrypted) return encryptedVariablesLayer(encrypted, path, this.inputs.secrets, this.log);
    const parsed = parseDotenv(text);
    for (const p of parsed.problems) this.log.add({ file: path, at: { pos: { line: p.line, col: 1 }, path: "" }, logical: [], message: p.message });
    return { source: "repository", values: parsed.values };
  }
}
