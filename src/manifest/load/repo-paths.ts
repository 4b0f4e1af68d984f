import { posix } from "node:path";
import { resolveRepoPath as resolveWrittenPath } from "../files/repo-path.js";

/**
 * A path to another Compose file (`extends.file`, `include`, an index's `files`), resolved against
 * the directory of the file that wrote it, as a repository path: the same rule as every file from
 * the repository (files/repo-path.ts), and it must name a file.
 */
export function resolveRepoPath(fromDir: string, written: string, root: string): { path: string } | { error: string } {
  if (written === "" || written.startsWith("/")) return { error: `"${written}" is not a relative path inside the repository` };
  const resolved = resolveWrittenPath(written, fromDir, root);
  return "error" in resolved ? resolved : { path: resolved.repoPath };
}

export function isInside(path: string, root: string): boolean {
  return root === "" ? !path.startsWith("../") && path !== ".." : path.startsWith(`${root}/`);
}

/** The directory of a repository path; "" for a file at the repository root. */
export function dirOf(path: string): string {
  const dir = posix.dirname(path);
  return dir === "." ? "" : dir;
}
