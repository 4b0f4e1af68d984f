import { COMPOSE_FILE_NAMES, type ManifestFile } from "../manifest/index.js";
import { textOf, type RepoTree } from "../manifest/repo-tree.js";
import { byCodePoint } from "../order.js";
import { readCommitTree } from "./read-commit-tree.js";

/**
 * Read the stack files of one commit straight from its tree: the compose files in `root` and one
 * directory below. `cache` is isomorphic-git's object cache (parsed pack indexes), for callers
 * reading many commits.
 */
export async function readManifestFiles(gitdir: string, commit: string, root: string, cache?: object): Promise<ManifestFile[]> {
  return composeFilesOf(await readCommitTree(gitdir, commit, root, cache));
}

/** The compose files of a host's directory: in it and one directory below. */
export function composeFilesOf(tree: RepoTree): ManifestFile[] {
  const prefix = tree.root ? `${tree.root}/` : "";
  const files: ManifestFile[] = [];
  for (const path of tree.files.keys()) {
    const rel = path.slice(prefix.length).split("/");
    const name = rel.at(-1) ?? "";
    if (rel.length <= 2 && COMPOSE_FILE_NAMES.includes(name)) files.push({ path, content: textOf(tree, path) ?? "" });
  }
  return files.sort((a, b) => byCodePoint(a.path, b.path));
}
