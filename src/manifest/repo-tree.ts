/**
 * The files of the host's directory in one commit (or, for `gitdock validate`, in a directory on
 * disk), read whole: what the manifest stage reads Compose files, `.env`, override and extended
 * files, and files mounted from the repository from. Keeping them in memory keeps the manifest
 * stage pure (no I/O) and the same for a commit and for a pull request's working tree.
 */
export interface RepoTree {
  /** Repository-relative path of the host's directory ("" for the repository root). */
  root: string;
  /** Every file under `root`, by repository-relative path (`hosts/web-1/shop/compose.yaml`). */
  files: ReadonlyMap<string, Uint8Array>;
  /** Every directory under `root`, by repository-relative path, `root` itself included. */
  dirs: ReadonlySet<string>;
  /** The files Git marks executable (mode 100755), or that are executable on disk; a file mounted from the store keeps that bit. */
  executables?: ReadonlySet<string>;
}

/** A host's directory is read whole; a repository that holds more than this there is refused. */
export const MAX_TREE_BYTES = 64 * 1024 * 1024;
export const MAX_TREE_FILES = 20_000;

/** `a/b` + `c` → `a/b/c`; "" is the repository root. */
export function joinRepoPath(dir: string, rel: string): string {
  return dir ? `${dir.replace(/\/+$/, "")}/${rel}` : rel;
}

export function textOf(tree: RepoTree, path: string): string | undefined {
  const bytes = tree.files.get(path);
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("utf8");
}
