/**
 * The end-to-end tests' multi-node Swarm (test/support/swarm-cluster.ts) for the bench. The harness
 * is TypeScript and the bench plain Node, so it is compiled at the start of the scenario with the
 * repository's own TypeScript (a devDependency; about 2 s) into a `gdb-` temp directory and
 * imported from there: one recipe for the tests and the bench, no copy to drift from it.
 */
import { symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, run, tempDir } from "./lib.mjs";

const HARNESS = path.join(ROOT, "test", "support", "swarm-cluster.ts");

/** Compiles the harness; returns its module (startSwarmCluster, cleanupStaleSwarmClusters, ...). */
async function loadHarness(cleanup) {
  const out = await tempDir(cleanup, "swarm-harness");
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const flags = ["--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--types", "node", "--skipLibCheck"];
  await run(process.execPath, [tsc, ...flags, "--outDir", out, "--rootDir", path.dirname(HARNESS), HARNESS]);
  // ESM like the repository, and its node_modules (the bridge registry's config is read with `yaml`).
  await writeFile(path.join(out, "package.json"), '{ "type": "module" }\n');
  await symlink(path.join(ROOT, "node_modules"), path.join(out, "node_modules"));
  return import(pathToFileURL(path.join(out, "swarm-cluster.js")).href);
}

/**
 * Starts a cluster of `managers` + `workers` nodes; `cleanup` stops it (swarm left, engines
 * stopped, namespaces, bridge and iptables rule removed), also when the scenario fails.
 */
export async function startBenchCluster({ cleanup, managers, workers, log }) {
  const harness = await loadHarness(cleanup);
  // Leftovers of a killed earlier run (its owner process gone); clusters of live runs are never touched.
  const stale = await harness.cleanupStaleSwarmClusters().catch((err) => {
    log(`  warning: removing stale test Swarm clusters failed: ${err.message}`);
    return [];
  });
  if (stale.length) log(`  removed stale test Swarm clusters ${stale.join(", ")}`);
  const cluster = await harness.startSwarmCluster({ name: "bench-swarm", managers, workers });
  cleanup.add(`stop test Swarm cluster ${cluster.index}`, () => cluster.stop());
  return cluster;
}
