import fs from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { SourceConfigError, SourceUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { GitCredentials } from "./git-credentials.js";
import { maintainClone } from "./maintain-clone.js";
import type { RepoLocation } from "./repo-location.js";

export interface SourceTarget {
  /** Full SHA of the branch head. */
  commit: string;
  /** The git directory the commit can be read from. */
  gitdir: string;
  /** True when this call downloaded objects (false: the commit was already local). */
  fetched: boolean;
}

export interface FetchOptions {
  location: RepoLocation;
  branch: string;
  stateDir: string;
  credentials: GitCredentials | undefined;
  /** Where a repack of the clone after a fetch is reported (maintain-clone.ts). */
  log?: Logger;
}

/** Resolve the branch head, fetching it first when the repository is remote. */
export async function fetchTargetCommit(opts: FetchOptions): Promise<SourceTarget> {
  if (opts.location.kind === "local") return resolveLocal(opts.location.path, opts.branch);
  return fetchRemote(opts.location.url, opts);
}

async function resolveLocal(path: string, branch: string): Promise<SourceTarget> {
  const dotGit = join(path, ".git");
  const gitdir = fs.existsSync(dotGit) ? dotGit : path;
  if (!fs.existsSync(join(gitdir, "HEAD"))) {
    throw new SourceConfigError(`${path} is not a Git repository`, { hint: "Give --repo an https:// URL or the path of a clone." });
  }
  const commit = await resolveBranch(gitdir, `refs/heads/${branch}`).catch((err: unknown) => {
    throw new SourceConfigError(`branch ${branch} not found in ${path}`, { cause: err, hint: "Check --branch." });
  });
  return { commit, gitdir, fetched: false };
}

/** The clone of a remote repository under the state directory (also read by `gitdock history`). */
export function remoteGitdir(stateDir: string, url: string): string {
  return join(stateDir, "source", `${createHash("sha256").update(url).digest("hex").slice(0, 16)}.git`);
}

/**
 * One bare, shallow, single-branch clone per URL under the state directory. A poll first asks the
 * server for the branch head (one small request) and downloads only when that commit is not here
 * yet, so a poll's cost does not grow with the repository's history. Each download adds a pack;
 * once there are more than a few, the clone is repacked to what gitdock still needs
 * (maintainClone), so neither its size nor a lookup's cost grows with the number of fetches.
 */
async function fetchRemote(url: string, opts: FetchOptions): Promise<SourceTarget> {
  const gitdir = remoteGitdir(opts.stateDir, url);
  if (!fs.existsSync(join(gitdir, "HEAD"))) {
    await fs.promises.mkdir(gitdir, { recursive: true, mode: 0o700 });
    await git.init({ fs, gitdir, bare: true, defaultBranch: opts.branch });
    await git.addRemote({ fs, gitdir, remote: "origin", url });
  }
  const credentials = opts.credentials;
  const onAuth = credentials ? () => ({ ...credentials }) : undefined;
  const onAuthFailure = () => ({ cancel: true as const });
  const head = await remoteHead(url, opts.branch, onAuth, onAuthFailure);
  if (await hasCommit(gitdir, head)) return { commit: head, gitdir, fetched: false };
  let commit: string;
  try {
    const result = await git.fetch({
      fs,
      http,
      gitdir,
      remote: "origin",
      url,
      onAuth,
      onAuthFailure,
      ref: opts.branch,
      remoteRef: opts.branch,
      singleBranch: true,
      depth: 1,
      tags: false,
    });
    commit = result.fetchHead ?? head;
  } catch (err) {
    throw classifyGitError(err, url, opts.branch);
  }
  await maintainClone(gitdir, opts.stateDir, commit, opts.log);
  return { commit, gitdir, fetched: true };
}

async function remoteHead(url: string, branch: string, onAuth: (() => GitCredentials) | undefined, onAuthFailure: () => { cancel: true }): Promise<string> {
  let refs;
  try {
    refs = await git.listServerRefs({ http, url, onAuth, onAuthFailure, prefix: `refs/heads/${branch}` });
  } catch (err) {
    throw classifyGitError(err, url, branch);
  }
  const head = refs.find((r) => r.ref === `refs/heads/${branch}`);
  if (!head) {
    throw new SourceConfigError(`branch ${branch} not found at ${url}`, { hint: "Check --branch and that the branch was pushed." });
  }
  return head.oid;
}

async function hasCommit(gitdir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid });
    return true;
  } catch {
    return false;
  }
}

async function resolveBranch(gitdir: string, ref: string): Promise<string> {
  return git.resolveRef({ fs, gitdir, ref });
}

/** A failed Git request as one of gitdock's errors: credentials and names are fatal, the rest is retried. */
export function classifyGitError(err: unknown, url: string, branch: string): Error {
  const e = err as { code?: string; data?: { statusCode?: number }; message?: string };
  const status = e.data?.statusCode;
  if (status === 401 || status === 403 || e.code === "UserCanceledError") {
    return new SourceConfigError(`the Git server refused our credentials for ${url} (HTTP ${status ?? "401"})`, {
      cause: err,
      hint: "Check git.password_file / GITDOCK_GIT_PASSWORD and that the token may read the repository.",
    });
  }
  if (status === 404) {
    return new SourceConfigError(`repository not found at ${url}`, { cause: err, hint: "Check --repo." });
  }
  if (e.code === "NotFoundError") {
    return new SourceConfigError(`branch ${branch} not found at ${url}`, { cause: err, hint: "Check --branch." });
  }
  return new SourceUnavailableError(`cannot fetch ${url}: ${e.message ?? String(err)}`, {
    cause: err,
    hint: "The host keeps running its current commit; gitdock retries with backoff.",
  });
}
