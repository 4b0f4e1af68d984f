import fs from "node:fs";
import git from "isomorphic-git";

/** Which commits of the clone gitdock still needs, and how far back from the branch tips it looks. */
export interface KeepSpec {
  /** Commits whose recent history is kept: the branch tips of the clone. */
  tips: string[];
  /** Commits kept with their trees wherever they are (the last good commit, recent good ones, marks). */
  pinned: string[];
  /** How many commits of history, from the tips, are kept at least. */
  window: number;
  /**
   * A commit the walk from the tips goes on looking for past `window` (the last good commit, so
   * that proving a target descends from it needs no fetch), up to `reachLimit` commits.
   */
  reach?: string;
  reachLimit: number;
}

export interface KeptObjects {
  /** Every object to keep: the kept commits, and every tree and blob under their root trees. */
  oids: string[];
  /** The kept commits. */
  commits: string[];
  /** Kept commits with a parent that is not kept: the clone's new shallow boundary. */
  boundary: string[];
}

/**
 * The objects a kept commit needs: the commit, its root tree and everything under it (the whole
 * tree, not only the host's path: `gitdock history` and the manifest cache read whole trees).
 * A missing tree fails here and a missing blob when the pack is written, before anything is
 * removed, so a repository that already lacks something is never repacked into one that lacks
 * more. `cache` is isomorphic-git's object cache.
 */
export async function collectKeptObjects(gitdir: string, spec: KeepSpec, cache: object): Promise<KeptObjects> {
  const commits = await keptCommits(gitdir, spec, cache);
  const oids = new Set<string>();
  const parents = new Map<string, readonly string[]>();
  for (const oid of commits) {
    const { commit } = await git.readCommit({ fs, gitdir, oid, cache });
    parents.set(oid, commit.parent);
    oids.add(oid);
    await addTree(gitdir, commit.tree, oids, cache);
  }
  const boundary = commits.filter((c) => (parents.get(c) ?? []).some((p) => !parents.has(p)));
  return { oids: [...oids], commits, boundary };
}

/** The commits walked from the tips (breadth first, through the parents that are here), then the pinned ones that are here. */
async function keptCommits(gitdir: string, spec: KeepSpec, cache: object): Promise<string[]> {
  const kept = new Set<string>();
  const queue = [...new Set(spec.tips)];
  const seen = new Set(queue);
  let reached = spec.reach === undefined;
  for (let i = 0; i < queue.length; i++) {
    if (kept.size >= spec.window && (reached || kept.size >= spec.reachLimit)) break;
    const oid = queue[i] as string;
    const parents = await parentsIfPresent(gitdir, oid, cache);
    if (parents === undefined) continue; // the edge of the shallow clone
    kept.add(oid);
    if (oid === spec.reach) reached = true;
    for (const p of parents) {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  for (const oid of spec.pinned) {
    if (!kept.has(oid) && (await parentsIfPresent(gitdir, oid, cache)) !== undefined) kept.add(oid);
  }
  return [...kept];
}

async function parentsIfPresent(gitdir: string, oid: string, cache: object): Promise<readonly string[] | undefined> {
  try {
    return (await git.readCommit({ fs, gitdir, oid, cache })).commit.parent;
  } catch (err) {
    if ((err as { code?: string }).code === "NotFoundError") return undefined;
    throw err;
  }
}

/** Adds a tree and everything under it; a tree already added brings nothing new (same id, same content). */
async function addTree(gitdir: string, tree: string, oids: Set<string>, cache: object): Promise<void> {
  if (oids.has(tree)) return;
  oids.add(tree);
  const entries = (await git.readTree({ fs, gitdir, oid: tree, cache })).tree;
  for (const entry of entries) {
    if (entry.type === "tree") await addTree(gitdir, entry.oid, oids, cache);
    else if (entry.type === "blob") oids.add(entry.oid); // a blob that is not here fails packing, before anything is removed
    // "commit" entries are submodules: their commits live in other repositories.
  }
}
