import { posix } from "node:path";
import type { RepoTree } from "../manifest/repo-tree.js";
import type { RepoEnvFile, StoredFile, StoreObject } from "../model.js";
import { parseEnvText } from "../manifest/parse/parse-env-text.js";
import { byCodePoint } from "../order.js";
import { resolveRepoPath } from "./repo-path.js";
import {
  EXECUTABLE_MODE,
  FILE_MODE,
  fileObjectName,
  MAX_STORED_BYTES_PER_COMMIT,
  MAX_STORED_FILE_BYTES,
  storeDirOf,
  treeObjectName,
} from "./store-layout.js";

/** Where this host keeps files from the repository and data directories; the host's settings, never the commit's. */
export interface RepoFileSettings {
  /** gitdock's store (`<state_dir>/files`), absolute. */
  store: string;
  /** Data directories are `<dataRoot>/<project>/<path>`, absolute. */
  dataRoot: string;
}

export const DEFAULT_DATA_ROOT = "/srv/gitdock";

export const DEFAULT_REPO_FILE_SETTINGS: RepoFileSettings = { store: storeDirOf("/var/lib/gitdock"), dataRoot: DEFAULT_DATA_ROOT };

/** A mode and owner a config asks for; undefined parts take the store's defaults. */
export interface FileAttributes {
  mode?: number | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
}

export type Resolved<T> = T | { error: string };

/** A relative bind source as what it turned out to be. */
export type RelativeBind =
  | { kind: "store"; source: string }
  | { kind: "data"; source: string };

/**
 * What one manifest load takes from the repository, shared by all its stacks so the per-commit
 * limit counts every stack. Pure: the tree is in memory, and the store objects it returns are
 * written on the host later (materialize.ts), before the first change.
 */
export class CommitFiles {
  private readonly objects = new Map<string, StoreObject>();
  private total = 0;

  /** `root`: the host's directory (`--path`), used when there is no tree (every relative path is then absent). */
  readonly root: string;

  constructor(
    readonly tree: RepoTree | undefined,
    root: string,
    readonly settings: RepoFileSettings,
  ) {
    this.root = tree?.root ?? root;
  }

  /** The resolver for one stack file: paths are relative to its directory. */
  forStack(stackFile: string, project: string): StackFiles {
    const dir = posix.dirname(stackFile);
    return new StackFiles(this, dir === "." ? "" : dir, project);
  }

  /** Registers an object once (by name), counting it against the per-commit limit. */
  add(object: StoreObject, bytes: number): StoreObject | { error: string } {
    const known = this.objects.get(object.name);
    if (known) return known;
    if (this.total + bytes > MAX_STORED_BYTES_PER_COMMIT) {
      return { error: `files mounted from the repository would total more than ${mib(MAX_STORED_BYTES_PER_COMMIT)} in this commit; keep large data out of Git (use a data directory or a volume)` };
    }
    this.total += bytes;
    this.objects.set(object.name, object);
    return object;
  }
}

/** One stack's view of the repository: resolves what its file names relative to its directory. */
export class StackFiles {
  private readonly used = new Map<string, StoreObject>();

  constructor(
    private readonly commit: CommitFiles,
    readonly stackDir: string,
    readonly project: string,
  ) {}

  /** The store objects this stack mounts, sorted by name. */
  objects(): StoreObject[] {
    return [...this.used.values()].sort((a, b) => byCodePoint(a.name, b.name));
  }

  /**
   * A relative bind source: a file or directory of the tree is mounted from the store (read-only:
   * asking for read-write is an error), anything else is a data directory of the project.
   */
  bindSource(written: string, readOnly: boolean | undefined): Resolved<RelativeBind> {
    const at = this.resolve(written);
    if ("error" in at) return at;
    const present = this.presence(at.repoPath);
    if (present !== "absent") {
      if (readOnly === false) {
        return { error: `"${written}" is ${present === "file" ? "a file" : "a directory"} of the repository (${at.repoPath}); files from Git are mounted read-only: remove ":rw" (or read_only: false)` };
      }
      const object = present === "file" ? this.fileObject(at.repoPath, {}) : this.treeObject(at.repoPath);
      return "error" in object ? object : { kind: "store", source: this.pathOf(object) };
    }
    if (at.inStack === undefined) {
      return { error: `"${written}" is not in the repository, so it would be a data directory, and a data directory must lie inside the stack's directory (${this.stackDir || "the repository root"})` };
    }
    return { kind: "data", source: posix.join(this.commit.settings.dataRoot, this.project, at.inStack) };
  }

  /** A relative env_file, read from the tree; an optional one (`required: false`) may be missing. */
  envFile(written: string, required: boolean): Resolved<RepoEnvFile> {
    const at = this.resolve(written);
    if ("error" in at) return at;
    const bytes = this.commit.tree?.files.get(at.repoPath);
    if (bytes === undefined) {
      if (!required) return { repoPath: at.repoPath, values: {} };
      return { error: `env file "${written}" is not in the repository (${at.repoPath}); commit it, or keep host-specific values in a file on the host and give its absolute path` };
    }
    const parsed = parseEnvText(Buffer.from(bytes).toString("utf8"));
    if ("badLine" in parsed) return { error: `env file "${written}" (${at.repoPath}), line ${parsed.badLine}: expected KEY=VALUE` };
    return { repoPath: at.repoPath, values: parsed.values };
  }

  /** Why a config's `file:` cannot be used, or undefined when it names one file of the tree. */
  checkConfigFile(written: string): string | undefined {
    const at = this.resolve(written);
    if ("error" in at) return at.error;
    const present = this.presence(at.repoPath);
    if (present === "absent") return `config file "${written}" is not in the repository (${at.repoPath}); commit it next to the compose file`;
    if (present === "directory") return `config file "${written}" is a directory (${at.repoPath}); a config is one file (mount a directory with volumes)`;
    return undefined;
  }

  /** A config's `file:` (checked with checkConfigFile), stored with the mode and owner the service asks for. */
  configFile(written: string, attrs: FileAttributes): Resolved<string> {
    const at = this.resolve(written);
    if ("error" in at) return at;
    const object = this.fileObject(at.repoPath, attrs);
    return "error" in object ? object : this.pathOf(object);
  }

  /** A config's inline `content:`, stored like a file. */
  configContent(text: string, attrs: FileAttributes): Resolved<string> {
    const object = this.storeFile(Buffer.from(text, "utf8"), false, attrs, "the config's content");
    return "error" in object ? object : this.pathOf(object);
  }

  /** The repository path of a relative secret `file:` when the tree holds it (a plain-text secret in Git). */
  committedFile(written: string): string | undefined {
    const at = this.resolve(written);
    return "error" in at || this.presence(at.repoPath) !== "file" ? undefined : at.repoPath;
  }

  private resolve(written: string) {
    return resolveRepoPath(written, this.stackDir, this.commit.root);
  }

  private presence(repoPath: string): "file" | "directory" | "absent" {
    const tree = this.commit.tree;
    if (tree?.files.has(repoPath)) return "file";
    if (tree?.dirs.has(repoPath)) return "directory";
    return "absent";
  }

  private fileObject(repoPath: string, attrs: FileAttributes): Resolved<StoreObject> {
    const tree = this.commit.tree;
    const content = tree?.files.get(repoPath) ?? new Uint8Array();
    return this.storeFile(content, tree?.executables?.has(repoPath) ?? false, attrs, repoPath);
  }

  private storeFile(content: Uint8Array, executable: boolean, attrs: FileAttributes, what: string): Resolved<StoreObject> {
    if (content.byteLength > MAX_STORED_FILE_BYTES) return tooLarge(what, content.byteLength);
    const file: StoredFile = { content, mode: attrs.mode ?? (executable ? EXECUTABLE_MODE : FILE_MODE), uid: attrs.uid, gid: attrs.gid };
    return this.use({ kind: "file", store: this.commit.settings.store, name: fileObjectName(file), file }, content.byteLength);
  }

  /** Every file and subdirectory below `repoPath`, with Git's executable bit. */
  private treeObject(repoPath: string): Resolved<StoreObject> {
    const tree = this.commit.tree;
    const prefix = repoPath === "" ? "" : `${repoPath}/`;
    const files: { path: string; file: StoredFile }[] = [];
    let bytes = 0;
    for (const [path, content] of tree?.files ?? []) {
      if (!path.startsWith(prefix)) continue;
      if (content.byteLength > MAX_STORED_FILE_BYTES) return tooLarge(path, content.byteLength);
      bytes += content.byteLength;
      const mode = tree?.executables?.has(path) ? EXECUTABLE_MODE : FILE_MODE;
      files.push({ path: path.slice(prefix.length), file: { content, mode, uid: undefined, gid: undefined } });
    }
    const dirs = [...(tree?.dirs ?? [])].filter((d) => d !== repoPath && d.startsWith(prefix)).map((d) => d.slice(prefix.length));
    return this.use({ kind: "tree", store: this.commit.settings.store, name: treeObjectName(files, dirs), files, dirs }, bytes);
  }

  private use(object: StoreObject, bytes: number): Resolved<StoreObject> {
    const added = this.commit.add(object, bytes);
    if (!("error" in added)) this.used.set(added.name, added);
    return added;
  }

  private pathOf(object: StoreObject): string {
    return posix.join(object.store, object.name);
  }
}

function tooLarge(what: string, bytes: number): { error: string } {
  return { error: `${what} is ${mib(bytes)}; a file mounted from the repository may be at most ${mib(MAX_STORED_FILE_BYTES)} (keep large data out of Git: use a data directory or a volume)` };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MiB`;
}
