import fs from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { SourceConfigError } from "../../errors.js";
import { classifyGitError } from "../../source/fetch-commit.js";
import { fetchTargetCommit, parseRepoLocation, type GitCredentials } from "../../source/index.js";
import { fetchRefTip } from "../fetch-ref-tip.js";

/** Where `gitdock fleet` reads from: the branch head, the notes tip (undefined: nobody reported yet). */
export interface FleetSource {
  gitdir: string;
  head: string;
  notesTip: string | undefined;
}

export interface FleetSourceOptions {
  repo: string;
  branch: string;
  notesRef: string;
  /** Where clones of remote repositories are kept between runs (`<cacheDir>/<hash of url>.git`). */
  cacheDir: string;
  /** Commits of the branch fetched from a remote repository. */
  depth: number;
  credentials: GitCredentials | undefined;
}

/** Commits of the branch `gitdock fleet` fetches by default: enough to find what every host runs. */
export const DEFAULT_FLEET_DEPTH = 500;

/**
 * The branch and the notes ref, from Git alone. A local repository is read in place. A remote one
 * is fetched into a bare clone of its own under the cache directory (never the agent's clone, so a
 * `fleet status` on a host never races its polls): the branch to `depth` commits and the notes ref's
 * tip alone (depth 1; a notes commit's tree holds every note), each only when the server's tip is
 * not here yet, as the notes target does.
 */
export async function openFleetSource(opts: FleetSourceOptions): Promise<FleetSource> {
  const location = parseRepoLocation(opts.repo);
  if (location.kind === "local") {
    const { gitdir, commit } = await fetchTargetCommit({ location, branch: opts.branch, stateDir: opts.cacheDir, credentials: undefined });
    const notesTip = await git.resolveRef({ fs, gitdir, ref: opts.notesRef }).catch(() => undefined);
    return { gitdir, head: commit, notesTip };
  }
  const gitdir = join(opts.cacheDir, `${createHash("sha256").update(location.url).digest("hex").slice(0, 16)}.git`);
  if (!fs.existsSync(join(gitdir, "HEAD"))) {
    await fs.promises.mkdir(gitdir, { recursive: true, mode: 0o700 });
    await git.init({ fs, gitdir, bare: true, defaultBranch: opts.branch });
    await git.addRemote({ fs, gitdir, remote: "origin", url: location.url });
  }
  const fetchTip = async (ref: string, serverRef: string, depth: number): Promise<string | undefined> => {
    try {
      return await fetchRefTip({ gitdir, url: location.url, ref, serverRef, depth, http, credentials: opts.credentials });
    } catch (err) {
      throw classifyGitError(err, location.url, opts.branch);
    }
  };
  // A branch is fetched by its short name (isomorphic-git's fetch does not find `refs/heads/<name>` given whole).
  const head = await fetchTip(opts.branch, `refs/heads/${opts.branch}`, opts.depth);
  if (!head) throw new SourceConfigError(`branch ${opts.branch} not found at ${location.url}`, { hint: "Check --branch and that the branch was pushed." });
  return { gitdir, head, notesTip: await fetchTip(opts.notesRef, opts.notesRef, 1) };
}
