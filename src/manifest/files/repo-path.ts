import { posix } from "node:path";

/**
 * A relative path written in a stack's files, resolved as Compose resolves it: against the
 * directory it is relative to (the stack's directory for its compose and override files; the
 * extended file's directory for settings `extends` brought in; the included project's directory
 * for an included file). Here that directory is in the commit's tree, and nothing outside the
 * host's directory (`--path`) may be reached: a host reads only its own part of the repository.
 */
export type RepoPathResult =
  | {
      /** Repository-relative (`hosts/web-1/shop/nginx.conf`); "" is the repository root. */
      repoPath: string;
      /** Relative to the stack's directory (`nginx.conf`, `conf/site`); undefined when it lies outside it. */
      inStack: string | undefined;
    }
  | { error: string };

/**
 * `written` is not absolute; `fromDir` (the directory it is relative to), `root` and `stackDir` (the
 * stack's directory, which `inStack` is relative to) are repository-relative directories ("" is
 * the repository root).
 */
export function resolveRepoPath(written: string, fromDir: string, root: string, stackDir: string = fromDir): RepoPathResult {
  if (written.startsWith("~")) {
    return { error: `"${written}" names a home directory, which means nothing on an unattended host; write a path relative to the compose file` };
  }
  const joined = posix.normalize(posix.join(fromDir === "" ? "." : fromDir, written));
  const repoPath = joined === "." ? "" : joined.replace(/\/+$/, "");
  if (repoPath === ".." || repoPath.startsWith("../") || !isInside(repoPath, root)) {
    return {
      error: `"${written}" leads outside this host's directory of the repository (${root === "" ? "the repository root" : root}); files from the repository must lie inside it`,
    };
  }
  const fromStack = posix.relative(stackDir, repoPath);
  const inStack = fromStack === ".." || fromStack.startsWith("../") ? undefined : fromStack;
  return { repoPath, inStack };
}

function isInside(path: string, dir: string): boolean {
  return dir === "" || path === dir || path.startsWith(`${dir}/`);
}

/** A bind source or file path Compose reads as a host path rather than a volume name. */
export function isRelativeHostPath(source: string): boolean {
  return !source.startsWith("/") && (source.startsWith(".") || source.startsWith("~") || source.includes("/"));
}
