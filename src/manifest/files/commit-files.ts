import { posix } from "node:path";
import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import type { DocPath } from "../format-path.js";
import type { RepoTree } from "../repo-tree.js";
import type { DecryptedFileObject, EncryptedFileUse, RepoEnvFile, StoredFile, StoreObject } from "../../model.js";
import {
  DEFAULT_SECRETS_RUNTIME_DIR,
  decryptedObject,
  encryptedEnvFile,
  EncryptedInspections,
  openEncrypted,
  pathOfDecrypted,
  recordUse,
  type ManifestSecrets,
  type Opened,
} from "./encrypted-repo-files.js";
import { parseDotenv } from "../interpolate/parse-dotenv.js";
import { byCodePoint } from "../../order.js";
import { resolveRepoPath } from "./repo-path.js";
import { EXECUTABLE_MODE, FILE_MODE, fileObjectName, MAX_STORED_BYTES_PER_COMMIT, MAX_STORED_FILE_BYTES, storeDirOf, treeObjectName } from "./store-layout.js";

/** Where this host keeps files from the repository and data directories; the host's settings, never the commit's. */
export interface RepoFileSettings {
  /** gitdock's store (`<state_dir>/files`), absolute. */
  store: string;
  /** Data directories are `<dataRoot>/<project>/<path>`, absolute. */
  dataRoot: string;
}

/** The config's defaults (`state_dir`, `files.data_root`), for a caller that names no host (`gitdock validate`). */
export const DEFAULT_REPO_FILE_SETTINGS: RepoFileSettings = { store: storeDirOf(CONFIG_DEFAULTS.state_dir), dataRoot: CONFIG_DEFAULTS.files.data_root };

/** A mode and owner a config asks for; undefined parts take the store's defaults. */
export interface FileAttributes {
  mode?: number | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
}

export type Resolved<T> = T | { error: string };

/** A relative bind source as what it turned out to be. */
export type RelativeBind = { kind: "store"; source: string } | { kind: "data"; source: string };

/**
 * What one manifest load takes from the repository, shared by all its stacks so the per-commit
 * limit counts every stack. Pure: the tree is in memory, and the store objects it returns are
 * written on the host later (materialize.ts), before the first change.
 */
export class CommitFiles {
  private readonly objects = new Map<string, StoreObject>();
  private total = 0;
  /** Every file of the tree a stack reads or mounts (a mounted directory's files too). */
  readonly read = new Set<string>();

  /** Which files of the tree are encrypted, inspected once each. */
  readonly inspections = new EncryptedInspections();

  /** `root`: the host's directory (`--path`); nothing outside it is reached. `secrets`: the host's decryption, when it decrypted. */
  constructor(
    readonly tree: RepoTree,
    readonly root: string,
    readonly settings: RepoFileSettings,
    readonly secrets?: ManifestSecrets,
  ) {}

  /**
   * The resolver for one stack whose directory is `stackDir`. `dirOf(at)` is the directory a
   * relative path written at `at` (a path in the stack's merged document) is relative to: the
   * stack's directory unless `extends` or `include` brought the text in from another file.
   */
  forStack(stackDir: string, project: string, dirOf: (at: DocPath) => string = () => stackDir): StackFiles {
    return new StackFiles({ commit: this, stackDir, project, dirOf, used: new Map(), encrypted: new Map(), decrypted: new Map() }, []);
  }

  /** Registers an object once (by name), counting it against the per-commit limit. */
  add(object: StoreObject, bytes: number): StoreObject | { error: string } {
    const known = this.objects.get(object.name);
    if (known) return known;
    if (this.total + bytes > MAX_STORED_BYTES_PER_COMMIT) {
      return {
        error: `files mounted from the repository would total more than ${mib(MAX_STORED_BYTES_PER_COMMIT)} in this commit; keep large data out of Git (use a data directory or a volume)`,
      };
    }
    this.total += bytes;
    this.objects.set(object.name, object);
    return object;
  }
}

/** What every view of one stack shares. */
interface StackScope {
  commit: CommitFiles;
  stackDir: string;
  project: string;
  dirOf: (at: DocPath) => string;
  /** The store objects the stack mounts, by name. */
  used: Map<string, StoreObject>;
  /** Encrypted files of the repository the stack uses, by repository path. */
  encrypted: Map<string, EncryptedFileUse>;
  /** Decrypted files the stack mounts, by name. */
  decrypted: Map<string, DecryptedFileObject>;
}

/**
 * One stack's view of the repository: resolves what its files name, each path relative to the
 * directory of the file that wrote it (as Compose does). Like a scoped problem sink, a view may be
 * narrowed to a part of the document (`under`), so helpers give paths relative to where they work.
 */
export class StackFiles {
  constructor(
    private readonly scope: StackScope,
    private readonly prefix: DocPath,
  ) {}

  get stackDir(): string {
    return this.scope.stackDir;
  }

  /** The same stack, with `at` arguments relative to `path`. */
  under(path: DocPath): StackFiles {
    return new StackFiles(this.scope, [...this.prefix, ...path]);
  }

  /** The store objects this stack mounts, sorted by name. */
  objects(): StoreObject[] {
    return [...this.scope.used.values()].sort((a, b) => byCodePoint(a.name, b.name));
  }

  /**
   * A relative bind source written at `at`: a file or directory of the tree is mounted from the
   * store (read-only: asking for read-write is an error), anything else is a data directory of the project.
   */
  bindSource(written: string, readOnly: boolean | undefined, at: DocPath): Resolved<RelativeBind> {
    const path = this.resolve(written, at);
    if ("error" in path) return path;
    const present = this.presence(path.repoPath);
    if (present !== "absent") {
      if (readOnly === false) {
        return {
          error: `"${written}" is ${present === "file" ? "a file" : "a directory"} of the repository (${path.repoPath}); files from Git are mounted read-only: remove ":rw" (or read_only: false)`,
        };
      }
      const object = present === "file" ? this.fileObject(path.repoPath, {}) : this.treeObject(path.repoPath);
      return "error" in object ? object : { kind: "store", source: pathOf(object) };
    }
    if (path.inStack === undefined) {
      return {
        error: `"${written}" is not in the repository, so it would be a data directory, and a data directory must lie inside the stack's directory (${this.stackDir || "the repository root"})`,
      };
    }
    return { kind: "data", source: posix.join(this.scope.commit.settings.dataRoot, this.scope.project, path.inStack) };
  }

  /** A relative env_file written at `at`, read from the tree; an optional one (`required: false`) may be missing. */
  envFile(written: string, required: boolean, at: DocPath): Resolved<RepoEnvFile> {
    const path = this.resolve(written, at);
    if ("error" in path) return path;
    const bytes = this.scope.commit.tree.files.get(path.repoPath);
    if (bytes === undefined) {
      if (!required) return { repoPath: path.repoPath, values: {} };
      return {
        error: `env file "${written}" is not in the repository (${path.repoPath}); commit it, or keep host-specific values in a file on the host and give its absolute path`,
      };
    }
    this.scope.commit.read.add(path.repoPath);
    const opened = this.openEncrypted(path.repoPath, written, "env_file");
    if (opened) return opened.ok ? encryptedEnvFile(opened, path.repoPath, written) : { error: opened.error };
    const parsed = parseDotenv(Buffer.from(bytes).toString("utf8"));
    const bad = parsed.problems[0];
    if (bad) return { error: `env file "${written}" (${path.repoPath}), line ${bad.line}: ${bad.message}` };
    return { repoPath: path.repoPath, values: Object.fromEntries(parsed.values) };
  }

  /** A config's `file:` written at `at`: the one file of the tree it names, or why it cannot be used. */
  configFileAt(written: string, at: DocPath): Resolved<{ repoPath: string }> {
    const path = this.resolve(written, at);
    if ("error" in path) return path;
    const present = this.presence(path.repoPath);
    if (present === "absent") return { error: `config file "${written}" is not in the repository (${path.repoPath}); commit it next to the compose file` };
    if (present === "directory")
      return { error: `config file "${written}" is a directory (${path.repoPath}); a config is one file (mount a directory with volumes)` };
    return { repoPath: path.repoPath };
  }

  /** A config's file (from configFileAt), stored with the mode and owner the service asks for; an encrypted one decrypted on the host's tmpfs. */
  configFile(repoPath: string, attrs: FileAttributes): Resolved<string> {
    const decrypted = this.decryptedFile(repoPath, attrs, "config");
    if (decrypted !== undefined) return decrypted;
    const object = this.fileObject(repoPath, attrs);
    return "error" in object ? object : pathOf(object);
  }

  /** A config's inline `content:`, stored like a file. */
  configContent(text: string, attrs: FileAttributes): Resolved<string> {
    const object = this.storeFile(Buffer.from(text, "utf8"), false, attrs, "the config's content");
    return "error" in object ? object : pathOf(object);
  }

  /** The repository path of a relative secret `file:` written at `at`, when the tree holds it (a plain-text secret in Git). */
  committedFile(written: string, at: DocPath): string | undefined {
    const path = this.resolve(written, at);
    return "error" in path || this.presence(path.repoPath) !== "file" ? undefined : path.repoPath;
  }

  /** Encrypted files the stack uses, sorted by path. */
  encryptedUses(): EncryptedFileUse[] {
    return [...this.scope.encrypted.values()].sort((a, b) => byCodePoint(a.repoPath, b.repoPath));
  }

  /** Decrypted files the stack mounts, sorted by name. */
  decryptedObjects(): DecryptedFileObject[] {
    return [...this.scope.decrypted.values()].sort((a, b) => byCodePoint(a.name, b.name));
  }

  /** Whether the committed file at `repoPath` is encrypted (SOPS or age), judged by its content. */
  isEncrypted(repoPath: string): boolean {
    const bytes = this.scope.commit.tree.files.get(repoPath);
    return bytes !== undefined && this.scope.commit.inspections.inspect(repoPath, bytes) !== undefined;
  }

  /**
   * An encrypted file of the tree as a secret or config mounts it: decrypted (by the host, before
   * the manifest was read) into a file of the secrets runtime directory with the mode and owner
   * asked for. Undefined when the file is not encrypted.
   */
  decryptedFile(repoPath: string, attrs: FileAttributes, usedAs: "secret" | "config"): Resolved<string> | undefined {
    const opened = this.openEncrypted(repoPath, repoPath, usedAs);
    if (opened === undefined) return undefined;
    if (!opened.ok) return { error: opened.error };
    const secrets = this.scope.commit.secrets ?? UNDECRYPTED;
    const object = decryptedObject(secrets, opened, repoPath, attrs);
    this.scope.decrypted.set(object.name, object);
    return pathOfDecrypted(object);
  }

  /** The file's encryption, recorded as used by the service this view belongs to; undefined for a plain file. */
  private openEncrypted(repoPath: string, written: string, usedAs: EncryptedFileUse["usedAs"]): Opened | undefined {
    const bytes = this.scope.commit.tree.files.get(repoPath);
    const file = bytes === undefined ? undefined : this.scope.commit.inspections.inspect(repoPath, bytes);
    if (file === undefined) return undefined;
    this.scope.commit.read.add(repoPath);
    const opened = openEncrypted(file, repoPath, written, this.scope.commit.secrets);
    const service = this.prefix[0] === "services" && typeof this.prefix[1] === "string" ? this.prefix[1] : undefined;
    recordUse(this.scope.encrypted, opened, repoPath, usedAs, service);
    return opened;
  }

  private resolve(written: string, at: DocPath) {
    const { commit, stackDir, dirOf } = this.scope;
    return resolveRepoPath(written, dirOf([...this.prefix, ...at]), commit.root, stackDir);
  }

  private presence(repoPath: string): "file" | "directory" | "absent" {
    const tree = this.scope.commit.tree;
    if (tree.files.has(repoPath)) return "file";
    if (tree.dirs.has(repoPath)) return "directory";
    return "absent";
  }

  private fileObject(repoPath: string, attrs: FileAttributes): Resolved<StoreObject> {
    const tree = this.scope.commit.tree;
    const content = tree.files.get(repoPath) ?? new Uint8Array();
    this.scope.commit.read.add(repoPath);
    return this.storeFile(content, tree.executables?.has(repoPath) ?? false, attrs, repoPath);
  }

  private storeFile(content: Uint8Array, executable: boolean, attrs: FileAttributes, what: string): Resolved<StoreObject> {
    if (content.byteLength > MAX_STORED_FILE_BYTES) return tooLarge(what, content.byteLength);
    const file: StoredFile = { content, mode: attrs.mode ?? (executable ? EXECUTABLE_MODE : FILE_MODE), uid: attrs.uid, gid: attrs.gid };
    return this.use({ kind: "file", store: this.scope.commit.settings.store, name: fileObjectName(file), file }, content.byteLength);
  }

  /** Every file and subdirectory below `repoPath`, with Git's executable bit. */
  private treeObject(repoPath: string): Resolved<StoreObject> {
    const tree = this.scope.commit.tree;
    const prefix = repoPath === "" ? "" : `${repoPath}/`;
    const files: { path: string; file: StoredFile }[] = [];
    let bytes = 0;
    for (const [path, content] of tree.files) {
      if (!path.startsWith(prefix)) continue;
      if (content.byteLength > MAX_STORED_FILE_BYTES) return tooLarge(path, content.byteLength);
      bytes += content.byteLength;
      this.scope.commit.read.add(path);
      const mode = tree.executables?.has(path) ? EXECUTABLE_MODE : FILE_MODE;
      files.push({ path: path.slice(prefix.length), file: { content, mode, uid: undefined, gid: undefined } });
    }
    const dirs = [...tree.dirs].filter((d) => d !== repoPath && d.startsWith(prefix)).map((d) => d.slice(prefix.length));
    return this.use({ kind: "tree", store: this.scope.commit.settings.store, name: treeObjectName(files, dirs), files, dirs }, bytes);
  }

  private use(object: StoreObject, bytes: number): Resolved<StoreObject> {
    const added = this.scope.commit.add(object, bytes);
    if (!("error" in added)) this.scope.used.set(added.name, added);
    return added;
  }
}

/** Where nothing was decrypted (validate, history): decrypted files get names that stand for them. */
const UNDECRYPTED: ManifestSecrets = { runtimeDir: DEFAULT_SECRETS_RUNTIME_DIR, nameKey: new Uint8Array(32), decrypted: undefined, hostKeys: [] };

function pathOf(object: StoreObject): string {
  return posix.join(object.store, object.name);
}

function tooLarge(what: string, bytes: number): { error: string } {
  return {
    error: `${what} is ${mib(bytes)}; a file mounted from the repository may be at most ${mib(MAX_STORED_FILE_BYTES)} (keep large data out of Git: use a data directory or a volume)`,
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MiB`;
}
