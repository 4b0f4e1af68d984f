import fs from "node:fs";
import git from "isomorphic-git";

/**
 * What a walk of a commit's history found out about a possible ancestor:
 *  - descendant:     the ancestor is in the history;
 *  - not-descendant: the whole history was walked (every root reached) without meeting it;
 *  - unknown:        the walk stopped before it could tell: some commits are not here (`missing`,
 *                    the edge of a shallow clone) or `limit` commits were read (`limit`).
 */
export type AncestryVerdict =
  { kind: "descendant"; walked: number } | { kind: "not-descendant"; walked: number } | { kind: "unknown"; walked: number; why: "missing" | "limit" };

/** A commit's parents, or undefined when the commit is not in the repository. */
export type ReadParents = (oid: string) => Promise<readonly string[] | undefined>;

/**
 * Whether `ancestor` is in the history of `commit` (a commit is its own ancestor), walking
 * breadth-first from `commit` and reading at most `limit` commits. The ancestor itself need not be
 * present: it is recognized by its id. Pure apart from `readParents`.
 */
export async function judgeAncestry(commit: string, ancestor: string, readParents: ReadParents, limit: number): Promise<AncestryVerdict> {
  const seen = new Set([commit]);
  const queue = [commit];
  let walked = 0;
  let missing = false;
  for (let i = 0; i < queue.length; i++) {
    const oid = queue[i] as string;
    if (oid === ancestor) return { kind: "descendant", walked };
    if (walked >= limit) return { kind: "unknown", walked, why: "limit" };
    const parents = await readParents(oid);
    walked++;
    if (parents === undefined) {
      missing = true;
      continue;
    }
    for (const p of parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push(p);
    }
  }
  return missing ? { kind: "unknown", walked, why: "missing" } : { kind: "not-descendant", walked };
}

/**
 * Parents as the repository at `gitdir` has them. The walk follows parent links through the
 * objects that are here and ignores the clone's `shallow` markers: a commit fetched at depth 1
 * still links to the commits fetched before it.
 */
export function parentsInRepo(gitdir: string): ReadParents {
  const cache = {};
  return async (oid) => {
    try {
      return (await git.readCommit({ fs, gitdir, oid, cache })).commit.parent;
    } catch {
      return undefined;
    }
  };
}
