import fs from "node:fs";
import git from "isomorphic-git";
import { SourceConfigError } from "../errors.js";
import { COMPOSE_FILE_NAMES, type ManifestFile } from "../manifest/index.js";
import { byCodePoint } from "../order.js";

/**
 * Read the stack files of one commit straight from its tree: the compose files in `root` and one
 * directory below. No working copy is checked out, so nothing on disk can drift from the commit.
 * `cache` is isomorphic-git's object cache (parsed pack indexes), for callers reading many commits.
 */
export async function readManifestFiles(gitdir: string, commit: string, root: string, cache?: object): Promise<ManifestFile[]> {
  const rootTree = await readTreeAt(gitdir, commit, root, cache);
  const files: ManifestFile[] = [];
  for (const entry of rootTree) {
    if (entry.type === "blob" && COMPOSE_FILE_NAMES.includes(entry.path)) {
      files.push(await readBlobFile(gitdir, entry.oid, joinPath(root, entry.path), cache));
    }
    if (entry.type === "tree") {
      const sub = await git.readTree({ fs, gitdir, oid: entry.oid, cache });
      for (const child of sub.tree) {
        if (child.type === "blob" && COMPOSE_FILE_NAMES.includes(child.path)) {
          files.push(await readBlobFile(gitdir, child.oid, joinPath(root, `${entry.path}/${child.path}`), cache));
        }
      }
    }
  }
  return files.sort((a, b) => byCodePoint(a.path, b.path));
}

async function readTreeAt(gitdir: string, commit: string, root: string, cache: object | undefined) {
  try {
    const result = await git.readTree({ fs, gitdir, oid: commit, filepath: root || undefined, cache });
    return result.tree;
  } catch (err) {
    throw new SourceConfigError(`--path ${root || "/"} does not exist in commit ${commit.slice(0, 12)}`, {
      cause: err,
      hint: "Check --path: it is a directory of the repository, relative to its root.",
    });
  }
}

async function readBlobFile(gitdir: string, oid: string, path: string, cache: object | undefined): Promise<ManifestFile> {
  const { blob } = await git.readBlob({ fs, gitdir, oid, cache });
  return { path, content: Buffer.from(blob).toString("utf8") };
}

function joinPath(root: string, rel: string): string {
  return root ? `${root.replace(/\/+$/, "")}/${rel}` : rel;
}
