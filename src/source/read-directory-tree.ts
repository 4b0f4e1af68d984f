import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SourceConfigError } from "../errors.js";
import { joinRepoPath, MAX_TREE_BYTES, MAX_TREE_FILES, type RepoTree } from "../manifest/repo-tree.js";

/**
 * A directory on disk as a RepoTree (`gitdock validate` in a pull request's working tree): the same
 * files a commit would give, named as `root` + their path below `dir`. Symlinks are left out as
 * they are from a commit; `.git` and `node_modules` are not part of a manifest.
 */
export async function readDirectoryTree(dir: string, root: string): Promise<RepoTree> {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>([root]);
  const executables = new Set<string>();
  let bytes = 0;
  const walk = async (onDisk: string, repoPath: string): Promise<void> => {
    for (const entry of await readdir(onDisk, { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      const full = join(onDisk, entry.name);
      const path = joinRepoPath(repoPath, entry.name);
      if (entry.isDirectory()) {
        dirs.add(path);
        await walk(full, path);
        continue;
      }
      const info = entry.isFile() ? await lstat(full) : undefined;
      if (info?.isFile()) {
        const content = await readFile(full);
        bytes += content.byteLength;
        files.set(path, content);
        // Git records one executable bit: the owner's, as `git add` sees it.
        if (info.mode & 0o100) executables.add(path);
        if (bytes > MAX_TREE_BYTES || files.size > MAX_TREE_FILES) {
          throw new SourceConfigError(`${dir} holds more than ${MAX_TREE_FILES} files or ${MAX_TREE_BYTES / 1024 / 1024} MiB`, {
            hint: "Point gitdock validate at a host's directory.",
          });
        }
      }
    }
  };
  await walk(dir, root);
  return { root, files, dirs, executables };
}
