import fs from "node:fs";
import git from "isomorphic-git";
import type { WalkedCommit } from "../history/walk-commits.js";

/**
 * The ancestors of `head` that are here, newest first by committer time (as `git log`), read one
 * at a time as the caller asks for them: `fleet status` stops as soon as it knows what every host
 * runs, so a long history costs only the commits it needs. A parent beyond a shallow clone's edge
 * ends that line of the walk.
 */
export async function* commitsNewestFirst(gitdir: string, head: string, cache: object): AsyncGenerator<WalkedCommit> {
  const seen = new Set<string>([head]);
  const frontier: WalkedCommit[] = [];
  const load = async (oid: string): Promise<void> => {
    const commit = await git.readCommit({ fs, gitdir, oid, cache }).then(
      (r) => r.commit,
      () => undefined,
    );
    if (commit) frontier.push({ oid, commit });
  };
  await load(head);
  while (frontier.length) {
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
