/**
 * Claiming a cluster index: `mkdir <root>/<k>` is atomic, so two processes starting clusters at the
 * same time get different indexes. The directory holds owner.json (pid and start time of the
 * process that owns the cluster); a cluster whose owner is gone is stale, and its leftovers may be
 * removed by anyone (cleanupStaleSwarmClusters).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { bridgeName, clusterDir, MAX_CLUSTERS } from "./layout.js";
import { isAlive, processStartTime } from "./run.js";

/** Where every cluster's directory lives (data roots, exec roots, sockets, pid files, logs). */
export const SWARM_ROOT = path.join(os.tmpdir(), "gitdock-swarm");
const OWNER_FILE = "owner.json";
/** A directory without owner.json is being claimed right now, unless it is older than this. */
const CLAIM_GRACE_MS = 60_000;

interface Owner {
  pid: number;
  startTime: string | null;
  name: string;
}

/** Whether index `k` still has traces on the host (bridge) from a run that left no directory. */
function hasHostTraces(index: number): boolean {
  return existsSync(`/sys/class/net/${bridgeName(index)}`);
}

/** Claims the lowest free index and records this process as its owner. */
export async function claimIndex(name: string): Promise<number> {
  await mkdir(SWARM_ROOT, { recursive: true });
  for (let k = 0; k < MAX_CLUSTERS; k++) {
    const dir = clusterDir(SWARM_ROOT, k);
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    if (hasHostTraces(k)) {
      // a crashed run's bridge without its directory: leave it to cleanupStaleSwarmClusters
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    const owner: Owner = { pid: process.pid, startTime: await processStartTime(process.pid), name };
    await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(owner) + "\n");
    return k;
  }
  throw new Error(
    `no free test Swarm index under ${SWARM_ROOT} (all ${MAX_CLUSTERS} taken): stop running clusters, or remove stale ones with cleanupStaleSwarmClusters() (see CONTRIBUTING.md)`,
  );
}

/** Whether the cluster in `dir` has no living owner (so its leftovers may be removed). */
export async function isStale(dir: string): Promise<boolean> {
  let owner: Owner;
  try {
    owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), "utf8")) as Owner;
  } catch {
    try {
      return Date.now() - (await stat(dir)).mtimeMs > CLAIM_GRACE_MS;
    } catch {
      return true;
    }
  }
  if (!isAlive(owner.pid)) return true;
  return owner.startTime !== null && (await processStartTime(owner.pid)) !== owner.startTime;
}
