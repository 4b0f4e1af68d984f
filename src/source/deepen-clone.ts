import fs from "node:fs";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { classifyGitError } from "./fetch-commit.js";
import type { GitCredentials } from "./git-credentials.js";

export interface DeepenOptions {
  url: string;
  /** The clone under the state directory (`remoteGitdir`). */
  gitdir: string;
  branch: string;
  credentials: GitCredentials | undefined;
  /** How many commits deep from the branch head the clone should reach. */
  depth: number;
}

/**
 * Fetches the branch again, `depth` commits deep from its head, into the shallow clone that polls
 * keep at depth 1. Only called when a check needs older history (proving that a target descends
 * from the last good commit); polls stay at depth 1, and the deeper history stays for later.
 * Returns the branch head the server sent (it may have moved since the pass began).
 */
export async function deepenClone(opts: DeepenOptions): Promise<string> {
  const credentials = opts.credentials;
  try {
    const result = await git.fetch({
      fs,
      http,
      gitdir: opts.gitdir,
      remote: "origin",
      url: opts.url,
      onAuth: credentials ? () => ({ ...credentials }) : undefined,
      onAuthFailure: () => ({ cancel: true as const }),
      ref: opts.branch,
      remoteRef: opts.branch,
      singleBranch: true,
      depth: opts.depth,
      tags: false,
    });
    return result.fetchHead ?? "";
  } catch (err) {
    throw classifyGitError(err, opts.url, opts.branch);
  }
}
