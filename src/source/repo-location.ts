import { ConfigInvalidError } from "../errors.js";

/** Where the manifest repository lives: fetched over HTTP(S), or read in place from a local path. */
export type RepoLocation = { kind: "http"; url: string } | { kind: "local"; path: string };

/**
 * Classify `--repo`. isomorphic-git speaks only smart HTTP(S), so SSH forms get an error that says
 * what to use instead rather than a confusing transport failure later.
 */
export function parseRepoLocation(repo: string): RepoLocation {
  if (/^https?:\/\//i.test(repo)) {
    const url = new URL(repo);
    if (url.username || url.password) {
      throw new ConfigInvalidError("--repo must not carry credentials in the URL", {
        hint: "Put the token or password in a file (git.password_file) or GITDOCK_GIT_PASSWORD; URLs end up in logs and process lists.",
      });
    }
    return { kind: "http", url: repo };
  }
  if (/^ssh:\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo) || /^git:\/\//i.test(repo)) {
    throw new ConfigInvalidError(`--repo ${repo}: SSH and git:// transports are not supported`, {
      hint: "Use the repository's https:// URL with a read-only token in git.password_file or GITDOCK_GIT_PASSWORD, or a local clone's path.",
    });
  }
  if (repo.startsWith("file://")) return { kind: "local", path: new URL(repo).pathname };
  return { kind: "local", path: repo };
}
