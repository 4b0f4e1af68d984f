import fs from "node:fs";
import git from "isomorphic-git";
import { describeError } from "../errors.js";
import type { Logger } from "../log.js";
import { readLockHolder, StateStore, type HostState } from "../state/index.js";
import { repackClone, type RepackResult } from "./repack-clone.js";

/** Commits of history kept from the branch head (what `gitdock history` shows without --fetch). */
export const KEEP_RECENT_COMMITS = 100;
/**
 * How far back from the head the last good commit is kept in reach, so that proving a new target
 * descends from it needs no fetch (the same bound as the proof's own walk, ANCESTRY_LIMIT).
 */
const LAST_GOOD_REACH = 1_000;

/**
 * Keeps the clone's size and lookup cost flat: after a fetch, when the clone holds more than a
 * few packs, they are consolidated into one holding the last KEEP_RECENT_COMMITS commits, the
 * history back to the last good commit, and every commit the host state names (last applied and
 * good, recent good ones, failed and rejected marks, the rollout in progress), each with its
 * whole tree. Runs only in the process that holds the reconcile lock (a sync or the agent's
 * pass), never in `gitdock plan`, which changes nothing. A failed repack changes nothing either
 * (see repackClone): it is logged and tried again after the next fetch.
 */
export async function maintainClone(gitdir: string, stateDir: string, head: string, log: Logger | undefined): Promise<RepackResult | undefined> {
  try {
    if ((await readLockHolder(stateDir))?.pid !== process.pid) return undefined;
    const state = await (await StateStore.open(stateDir)).read();
    const result = await repackClone(gitdir, {
      tips: [head, ...(await refTips(gitdir))],
      pinned: commitsNamedBy(state),
      window: KEEP_RECENT_COMMITS,
      reach: state.lastGood?.commit,
      reachLimit: LAST_GOOD_REACH,
    });
    if (result.repacked) {
      log?.info({ stage: "source", gitdir, ...result }, `repacked the clone: ${result.packsBefore} packs into one of ${result.commits} commits`);
    }
    return result;
  } catch (err) {
    log?.warn({ stage: "source", gitdir, err: describeError(err) }, "could not repack the clone; it stays as it is and the next fetch tries again");
    return undefined;
  }
}

/** Every commit the host state refers to. */
export function commitsNamedBy(state: HostState): string[] {
  const named = [
    state.lastApplied?.commit,
    state.lastGood?.commit,
    ...state.goodHistory,
    state.rollout?.commit,
    state.rollout?.previousCommit,
    state.halted?.commit,
    ...Object.keys(state.failed),
    ...Object.keys(state.rejected),
    ...state.retryRequested,
    ...state.allowRewind,
  ];
  return [...new Set(named.filter((c): c is string => typeof c === "string" && /^[0-9a-f]{40}$/.test(c)))];
}

async function refTips(gitdir: string): Promise<string[]> {
  const tips: string[] = [];
  for (const name of await git.listRefs({ fs, gitdir, filepath: "refs" })) {
    tips.push(await git.resolveRef({ fs, gitdir, ref: `refs/${name}` }).catch(() => ""));
  }
  return tips.filter(Boolean);
}
