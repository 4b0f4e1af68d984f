import { posix } from "node:path";
import type { RepoTree } from "../../../src/manifest/repo-tree.js";

/** A RepoTree of `files` (repository path → text) under `root`, with every directory that holds one. */
export function repoTree(root: string, files: Record<string, string | Uint8Array>, executables: string[] = []): RepoTree {
  const map = new Map<string, Uint8Array>();
  const dirs = new Set<string>([root]);
  for (const [path, content] of Object.entries(files)) {
    map.set(path, typeof content === "string" ? Buffer.from(content) : content);
    for (let dir = posix.dirname(path); dir !== "." && dir.length >= root.length; dir = posix.dirname(dir)) dirs.add(dir);
  }
  return { root, files: map, dirs, executables: new Set(executables) };
}
