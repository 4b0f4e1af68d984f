import fs from "node:fs";
import git, { type HttpClient } from "isomorphic-git";
import type { GitCredentials } from "../source/index.js";

/**
 * A ref's tip from a remote, downloaded to `depth` commits only when this repository lacks it:
 * ask the server for the ref (one request), fetch when new. Undefined when the server has no such
 * ref. The ref may move between the two requests: what was fetched wins. The notes target and
 * `gitdock fleet` read the notes ref (and the fleet its branch) this way. Errors are isomorphic-git's.
 */
export async function fetchRefTip(opts: {
  gitdir: string;
  url: string;
  /** Whole (`refs/notes/gitdock`), or a branch's short name: isomorphic-git's fetch finds a branch only by it. */
  ref: string;
  /** The ref as the server lists it (`refs/heads/main` for a branch). */
  serverRef?: string;
  depth: number;
  http: HttpClient;
  credentials: GitCredentials | undefined;
}): Promise<string | undefined> {
  const auth = authOf(opts.credentials);
  const listed = opts.serverRef ?? opts.ref;
  const refs = await git.listServerRefs({ http: opts.http, url: opts.url, prefix: listed, ...auth });
  const tip = refs.find((r) => r.ref === listed)?.oid;
  if (!tip || (await hasCommit(opts.gitdir, tip))) return tip;
  const res = await git.fetch({
    fs,
    http: opts.http,
    gitdir: opts.gitdir,
    url: opts.url,
    remote: "origin",
    ref: opts.ref,
    remoteRef: opts.ref,
    singleBranch: true,
    depth: opts.depth,
    tags: false,
    ...auth,
  });
  return res.fetchHead ?? tip;
}

/** isomorphic-git's credential callbacks: the configured ones, and no prompt when they are refused. */
export function authOf(c: GitCredentials | undefined) {
  return { onAuth: c ? () => ({ ...c }) : undefined, onAuthFailure: () => ({ cancel: true as const }) };
}

export async function hasCommit(gitdir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid });
    return true;
  } catch {
    return false;
  }
}
