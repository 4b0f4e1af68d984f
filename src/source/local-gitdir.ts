import { existsSync } from "node:fs";
import { join } from "node:path";
import { remoteGitdir } from "./fetch-commit.js";
import { parseRepoLocation } from "./repo-location.js";

/**
 * Where the commits this host already fetched are, without asking the network: a local repository
 * itself (its .git, or the bare repository), or the agent's clone under the state directory.
 */
export function localGitdirOf(settings: { repo: string | undefined; stateDir: string }): string | undefined {
  if (!settings.repo) return undefined;
  const location = parseRepoLocation(settings.repo);
  if (location.kind === "local") {
    const dotGit = join(location.path, ".git");
    return existsSync(dotGit) ? dotGit : location.path;
  }
  return remoteGitdir(settings.stateDir, location.url);
}
