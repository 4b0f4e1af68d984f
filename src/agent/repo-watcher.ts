/**
 * With `--repo` a local path, a commit or push to it moves a ref under `refs/heads/` (or rewrites
 * `packed-refs`); chokidar watches those and reports a change, debounced, so a `git push` that
 * writes a lock file, renames it and updates the reflog is one trigger. Only the git directory's
 * refs are watched: never the objects, never a working tree.
 */
import { existsSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import type { Logger } from "../log.js";

export interface RepoWatch {
  close(): Promise<void>;
}

export interface RepoWatchOptions {
  /** The local repository: a clone (its `.git` is used) or a bare repository. */
  path: string;
  log: Logger;
  onChange(detail: string): void;
  debounceMs?: number;
}

/** The git directory of a local repository path. */
export function gitDirOf(path: string): string {
  const dotGit = join(path, ".git");
  return existsSync(dotGit) ? dotGit : path;
}

/** True for the paths a ref change touches: the git dir itself, `refs`, `refs/heads/**`, `packed-refs`. */
export function isWatchedRefPath(gitdir: string, path: string): boolean {
  const rel = relative(gitdir, path);
  if (rel === "" || rel === "refs" || rel === "packed-refs") return true;
  const parts = rel.split(sep);
  return parts[0] === "refs" && parts[1] === "heads";
}

export function watchRepoRefs(opts: RepoWatchOptions): RepoWatch {
  const gitdir = gitDirOf(opts.path);
  const debounceMs = opts.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let last = "";
  const watcher: FSWatcher = watch(gitdir, {
    ignoreInitial: true,
    // Directories outside refs/heads are never entered; lock files come and go during every update.
    ignored: (p: string) => !isWatchedRefPath(gitdir, p) || p.endsWith(".lock"),
  });
  watcher.on("all", (event, p) => {
    last = `${event} ${relative(gitdir, p)}`;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      opts.log.info({ stage: "repo-watch", reason: last }, "local repository refs changed");
      opts.onChange(last);
    }, debounceMs);
  });
  watcher.on("error", (err) =>
    opts.log.warn({ stage: "repo-watch", err: err instanceof Error ? err.message : String(err) }, "watching the repository's refs failed"),
  );
  opts.log.info({ stage: "repo-watch", gitdir }, "watching the local repository's branch refs");
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
