/**
 * vitest globalSetup for the end-to-end suite: checks that the Docker Engine and the registry on
 * 127.0.0.1:5000 answer, builds (or reuses) the test images, starts one Git server on a temp root,
 * and provides `{ gitUrl, gitRoot, images }` as `inject("testEnv")`. Teardown closes the server.
 * Before and after the run it removes what crashed runs left of test Swarm clusters
 * (test/support/swarm-cluster.ts): only clusters whose owning process is gone.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import type { TestEnv } from "./env.js";
import { startGitServer } from "./git-server.js";
import { buildTestImages, REGISTRY_URL } from "./images.js";
import { cleanupStaleSwarmClusters } from "./swarm-cluster.js";

export type { TestEnv } from "./env.js";

const execFileP = promisify(execFile);
const HINT = "run `bash scripts/test-env.sh` (as root) to install and start Docker Engine and the test registry";

async function checkEngine(): Promise<void> {
  try {
    await execFileP("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`Docker Engine does not answer (docker info: ${(e.stderr || e.message).trim()}); ${HINT}`, { cause: err });
  }
}

async function checkRegistry(): Promise<void> {
  try {
    const res = await fetch(`${REGISTRY_URL}/v2/`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new Error(`registry at ${REGISTRY_URL}/v2/ does not answer (${(err as Error).message}); ${HINT}`, { cause: err });
  }
}

/** Removes stale test Swarm clusters; says which. A failure is reported, not thrown: a leftover never blocks the suite (its index is skipped). */
async function cleanupSwarmLeftovers(when: string): Promise<void> {
  try {
    const cleaned = await cleanupStaleSwarmClusters();
    if (cleaned.length > 0) console.warn(`${when}: removed leftovers of crashed test Swarm clusters ${cleaned.join(", ")}`);
  } catch (err) {
    console.warn(`${when}: could not remove leftovers of test Swarm clusters (see CONTRIBUTING.md to do it by hand): ${(err as Error).message}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await cleanupSwarmLeftovers("global setup");
  await checkEngine();
  await checkRegistry();
  const images = await buildTestImages();
  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "gdt-git-root-"));
  const server = await startGitServer(gitRoot);
  const env: TestEnv = { gitUrl: server.url, gitRoot, images };
  project.provide("testEnv", env);
  return async () => {
    await server.close();
    await rm(gitRoot, { recursive: true, force: true });
    await cleanupSwarmLeftovers("global teardown");
  };
}
