/**
 * Removing what crashed or killed test runs left behind: every cluster index whose directory's
 * owner process is gone, and every `gdsw<k>` namespace, link or iptables rule whose index has no
 * directory at all. A cluster whose owner still runs (another test file, another engineer's run)
 * is never touched.
 */
import { readdir } from "node:fs/promises";
import { isStale, SWARM_ROOT } from "./claim.js";
import { bridgeRules, linkNames, netnsNames } from "./host-net.js";
import { clusterDir, indexOfName } from "./layout.js";
import { teardownCluster } from "./teardown.js";

async function claimedIndexes(): Promise<number[]> {
  try {
    return (await readdir(SWARM_ROOT)).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

async function staleIndexes(): Promise<number[]> {
  const claimed = await claimedIndexes();
  const stale = new Set<number>();
  for (const k of claimed) if (await isStale(clusterDir(SWARM_ROOT, k))) stale.add(k);
  const names = [...(await netnsNames()), ...(await linkNames()), ...(await bridgeRules())];
  for (const name of names) {
    const k = indexOfName(name);
    if (k !== null && !claimed.includes(k)) stale.add(k);
  }
  return [...stale].sort((a, b) => a - b);
}

/** Tears down every stale cluster; returns their indexes. Throws one error naming all that could not be removed. */
export async function cleanupStaleSwarmClusters(): Promise<number[]> {
  const indexes = await staleIndexes();
  const errors: string[] = [];
  for (const k of indexes) {
    try {
      await teardownCluster(k);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return indexes;
}
