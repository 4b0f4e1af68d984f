import fs from "node:fs";
import git, { type CommitObject } from "isomorphic-git";

export interface WalkedCommit {
  oid: string;
  commit: CommitObject;
}

export interface CommitWalk {
  /** Newest first (by committer time, as `git log` orders them). */
  commits: WalkedCommit[];
  /** Parents that are not in the local repository (the edge of a shallow clone). */
  missing: string[];
  /** Every commit read: the walked ones and the parents where the walk stopped (for diffs against them). */
  loaded: Map<string, WalkedCommit>;
}

/**
 * Every ancestor of the `tips` that is present locally, newest first. The walk follows parent
 * links through the objects that are here and stops only where one is missing, so it ignores the
 * clone's `shallow` markers: a commit a poll fetched at depth 1 still links to the commits
 * fetched before it. More than one tip lets a walk resume past a gap: a poll that fetched a new
 * head at depth 1 leaves the commits between it and the previous head out of the clone, and the
 * older commits are reached again from a tip beyond the gap. A tip that is not here counts as
 * missing. `limit` bounds the walk (the rest is reported as missing); `since` (Unix seconds) ends
 * it at older commits; `cache` is isomorphic-git's cache of parsed pack indexes, which makes
 * reading many commits fast.
 */
export async function walkCommits(gitdir: string, tips: readonly string[], opts: { limit?: number; since?: number; cache?: object } = {}): Promise<CommitWalk> {
  const limit = opts.limit ?? 100_000;
  const commits: WalkedCommit[] = [];
  const loaded = new Map<string, WalkedCommit>();
  const missing = new Set<string>();
  for await (const next of commitsNewestFirst(gitdir, tips, { cache: opts.cache, loaded, missing })) {
    if (opts.since !== undefined && next.commit.committer.timestamp < opts.since) break; // the rest is older still
    if (commits.length >= limit) {
      // What was read but not walked (this one and the frontier) is where the walk stopped.
      const walked = new Set(commits.map((c) => c.oid));
      for (const oid of loaded.keys()) if (!walked.has(oid)) missing.add(oid);
      break;
    }
    commits.push(next);
  }
  return { commits, missing: [...missing], loaded };
}

/**
 * The ancestors of the `tips` that are here, newest first by committer time (as `git log`), read
 * one at a time as the caller asks for them (`fleet status` stops as soon as it knows what every
 * host runs). Every commit read goes into `loaded`; a tip or parent that is not here into `missing`.
 */
export async function* commitsNewestFirst(
  gitdir: string,
  tips: readonly string[],
  opts: { cache?: object | undefined; loaded?: Map<string, WalkedCommit>; missing?: Set<string> } = {},
): AsyncGenerator<WalkedCommit> {
  const seen = new Set<string>(tips);
  const frontier: WalkedCommit[] = [];
  const load = async (oid: string): Promise<void> => {
    try {
      const { commit } = await git.readCommit({ fs, gitdir, oid, cache: opts.cache });
      frontier.push({ oid, commit });
      opts.loaded?.set(oid, { oid, commit });
    } catch {
      opts.missing?.add(oid);
    }
  };
  for (const tip of seen) await load(tip);
  while (frontier.length) {
    // Newest first: take the frontier commit with the latest committer time.
    frontier.sort((a, b) => b.commit.committer.timestamp - a.commit.committer.timestamp);
    const next = frontier.shift()!;
    yield next;
    for (const p of next.commit.parent) {
      if (seen.has(p)) continue;
      seen.add(p);
      await load(p);
    }
  }
}

/** The tree at `path` in a commit (the root tree for ""), or undefined when the path is absent. */
export async function treeAt(gitdir: string, commit: CommitObject, path: string, cache?: object): Promise<string | undefined> {
  let oid = commit.tree;
  for (const part of path.split("/").filter(Boolean)) {
    const { tree } = await git.readTree({ fs, gitdir, oid, cache });
    const entry = tree.find((e) => e.path === part && e.type === "tree");
    if (!entry) return undefined;
    oid = entry.oid;
  }
  return oid;
}
