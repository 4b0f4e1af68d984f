import { posix } from "node:path";

/**
 * A path written in a Compose file (`extends.file`, `include`, an index's `files`), resolved
 * against the directory of the file that wrote it, as a repository path. Only paths inside the
 * host's directory (`--path`) are allowed: a commit may not reach files the host does not read.
 */
export function resolveRepoPath(fromDir: string, written: string, root: string): { path: string } | { error: string } {
  if (written === "" || written.startsWith("/")) return { error: `"${written}" is not a relative path inside the repository` };
  const joined = posix.normalize(fromDir === "" ? written : `${fromDir}/${written}`);
  if (joined === ".." || joined.startsWith("../") || !isInside(joined, root)) {
    return { error: `"${written}" leads outside ${root === "" ? "the repository" : root}, the directory this host reads` };
  }
  return { path: joined.replace(/^\.\//, "") };
}

export function isInside(path: string, root: string): boolean {
  return root === "" ? !path.startsWith("../") && path !== ".." : path.startsWith(`${root}/`);
}

/** The directory of a repository path; "" for a file at the repository root. */
export function dirOf(path: string): string {
  const dir = posix.dirname(path);
  return dir === "." ? "" : dir;
}
