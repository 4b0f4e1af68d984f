import fs from "node:fs";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { SourceConfigError, SourceUnavailableError } from "../../errors.js";
import { fetchTargetCommit, parseRepoLocation, remoteGitdir, type GitCredentials } from "../../source/index.js";

export interface HistorySource {
  gitdir: string;
  head: string;
  /** Set when `--fetch` deepened the local clone. */
  deepened?: { depth?: number; since?: Date };
}

/** Default depth of `history --fetch` without --since. */
export const DEFAULT_HISTORY_DEPTH = 500;

/**
 * Where `history` reads commits from.
 *
 * A local `--repo` path has its whole history already. For an HTTP(S) repository the agent's own
 * clone under the state directory is read, offline: polls keep it shallow on purpose (depth 1,
 * and a fetch only when the head is new, so a poll's cost never grows with the history), which
 * means it holds the commits this host has fetched, not all of them. `--fetch` deepens that clone
 * on demand — to `--depth` commits, or back to `--since` — in this one command; the next poll
 * fetches depth 1 as always and the deeper history stays for later `history` runs.
 */
export async function openHistorySource(
  repo: string,
  branch: string,
  stateDir: string,
  opts: { fetch?: boolean; depth?: number; since?: Date; credentials?: GitCredentials },
): Promise<HistorySource> {
  const location = parseRepoLocation(repo);
  if (location.kind === "local") {
    const t = await fetchTargetCommit({ location, branch, stateDir, credentials: undefined });
    return { gitdir: t.gitdir, head: t.commit };
  }
  const gitdir = remoteGitdir(stateDir, location.url);
  const exists = fs.existsSync(`${gitdir}/HEAD`);
  if (opts.fetch) {
    if (!exists) {
      await fs.promises.mkdir(gitdir, { recursive: true, mode: 0o700 });
      await git.init({ fs, gitdir, bare: true, defaultBranch: branch });
      await git.addRemote({ fs, gitdir, remote: "origin", url: location.url });
    }
    const deepened = opts.since && opts.depth === undefined ? { since: opts.since } : { depth: opts.depth ?? DEFAULT_HISTORY_DEPTH };
    const c = opts.credentials;
    try {
      await git.fetch({
        fs,
        http,
        gitdir,
        url: location.url,
        remote: "origin",
        ref: branch,
        remoteRef: branch,
        singleBranch: true,
        tags: false,
        onAuth: c ? () => ({ ...c }) : undefined,
        onAuthFailure: () => ({ cancel: true as const }),
        ...(deepened.since ? { since: deepened.since } : { depth: deepened.depth }),
      });
    } catch (err) {
      throw new SourceUnavailableError(`cannot deepen the local clone from ${location.url}: ${(err as Error).message}`, {
        cause: err,
        hint: "Run without --fetch to read the commits the clone already has.",
      });
    }
    return { gitdir, head: await localHead(gitdir, branch), deepened };
  }
  if (!exists) {
    throw new SourceConfigError(`no local clone of ${location.url} in ${stateDir} yet`, {
      hint: "Run `gitdock sync` first, or `gitdock history --fetch` to clone it for reading.",
    });
  }
  return { gitdir, head: await localHead(gitdir, branch) };
}

async function localHead(gitdir: string, branch: string): Promise<string> {
  try {
    return await git.resolveRef({ fs, gitdir, ref: `refs/remotes/origin/${branch}` });
  } catch (err) {
    throw new SourceConfigError(`the local clone ${gitdir} has no branch ${branch}`, { cause: err, hint: "Check --branch, or run `gitdock sync` first." });
  }
}
