import fs from "node:fs";
import git from "isomorphic-git";
import { SourceConfigError } from "../errors.js";
import { joinRepoPath, MAX_TREE_BYTES, MAX_TREE_FILES, type RepoTree } from "../manifest/repo-tree.js";

/**
 * The host's directory of one commit, read straight from the commit's tree: no working copy is
 * checked out, so nothing on disk can drift from the commit. Symlinks and submodules in the tree are
 * left out (a symlink in Git could point anywhere on the host). `cache` is isomorphic-git's object
 * cache, for callers reading many commits.
 */
export async function readCommitTree(gitdir: string, commit: string, root: string, cache?: object): Promise<RepoTree> {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>([root]);
  const executables = new Set<string>();
  let bytes = 0;
  const walk = async (oid: string, dir: string): Promise<void> => {
    const { tree } = await git.readTree({ fs, gitdir, oid, cache });
    for (const entry of tree) {
      const path = joinRepoPath(dir, entry.path);
      if (entry.type === "tree") {
        dirs.add(path);
        await walk(entry.oid, path);
      } else if (entry.type === "blob" && entry.mode !== "120000") {
        const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid, cache });
        bytes += blob.byteLength;
        files.set(path, blob);
        if (entry.mode === "100755") executables.add(path);
        if (bytes > MAX_TREE_BYTES || files.size > MAX_TREE_FILES) throw tooLarge(root, commit);
      }
    }
  };
  await walk(await rootTreeOid(gitdir, commit, root, cache), root);
  return { root, files, dirs, executables };
}

async function rootTreeOid(gitdir: string, commit: string, root: string, cache: object | undefined): Promise<string> {
  try {
    return (await git.readTree({ fs, gitdir, oid: commit, filepath: root || undefined, cache })).oid;
  } catch (err) {
    throw new SourceConfigError(`--path ${root || "/"} does not exist in commit ${commit.slice(0, 12)}`, {
      cause: err,
      hint: "Check --path: it is a directory of the repository, relative to its root.",
    });
  }
}

function tooLarge(root: string, commit: string): SourceConfigError {
  return new SourceConfigError(
    `${root || "the repository root"} in commit ${commit.slice(0, 12)} holds more than ${MAX_TREE_FILES} files or ${MAX_TREE_BYTES / 1024 / 1024} MiB`,
    { hint: "Keep a host's directory to its Compose files and the files they mount; point --path at a smaller directory." },
  );
}
