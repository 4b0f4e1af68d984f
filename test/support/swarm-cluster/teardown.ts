/**
 * Tearing a cluster down from what is on the host, not from memory: `stop()` and the cleanup of a
 * crashed run's leftovers run the same steps for an index. Every step runs even when an earlier
 * one failed; the failures are collected and thrown as one error at the end.
 */
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { SWARM_ROOT } from "./claim.js";
import { dockerAt, stopEngine } from "./engine.js";
import { deleteLink, deleteNetns, linkNames, netnsNames, removeBridgeRules } from "./host-net.js";
import { bridgeName, clusterDir, indexOfName } from "./layout.js";
import { stopBridgeRegistry } from "./registry.js";
import { killProcessesIn, sandboxNetnsFiles, unmountUnder } from "./sweep.js";

interface NodeDir {
  name: string;
  pidFile: string;
  socket: string;
}

async function nodeDirs(dir: string): Promise<NodeDir[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^[mw]\d+$/.test(n))
    .map((name) => ({ name, pidFile: path.join(dir, name, "docker.pid"), socket: path.join(dir, name, "docker.sock") }));
}

/**
 * Leaves the swarm and removes the node's containers at once (no stop grace period to wait out).
 * Leaving is a courtesy, not a step that can fail the teardown: the node's swarm membership lives in
 * its data root, which goes with the directory, and a node that was just restarted may still be
 * reconnecting, when its Engine answers the leave with "context deadline exceeded".
 */
async function leaveSwarm(n: NodeDir): Promise<void> {
  if (!existsSync(n.socket)) return;
  try {
    await dockerAt(n.socket, ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 5_000 });
  } catch {
    return; // no Engine answering (killed): nothing to leave; the sweep ends what it left running
  }
  await dockerAt(n.socket, ["swarm", "leave", "--force"], { timeoutMs: 30_000 }).catch(() => undefined);
  const ids = (await dockerAt(n.socket, ["ps", "-aq"], { timeoutMs: 10_000 })).split("\n").filter(Boolean);
  if (ids.length > 0) await dockerAt(n.socket, ["rm", "-f", ...ids], { timeoutMs: 30_000 });
}

/** Everything of cluster `index`: engines, registry, processes, mounts, namespaces, links, rules, directory. */
export async function teardownCluster(index: number): Promise<void> {
  const dir = clusterDir(SWARM_ROOT, index);
  const bridge = bridgeName(index);
  const errors: string[] = [];
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  const nodes = await nodeDirs(dir);
  await Promise.all(nodes.map((n) => step(`remove ${n.name}'s containers`, () => leaveSwarm(n))));
  await Promise.all(nodes.map((n) => step(`stop ${n.name}'s dockerd`, () => stopEngine(n))));
  await step("stop the bridge registry", () => stopBridgeRegistry(dir));
  const namespaces = (await netnsNames()).filter((n) => indexOfName(n) === index);
  await step("kill the cluster's remaining processes", async () => {
    const sandboxes = await sandboxNetnsFiles(nodes.map((n) => path.join(dir, n.name, "exec")));
    await killProcessesIn([...namespaces.map((n) => `/run/netns/${n}`), ...sandboxes], `${dir}/`);
  });
  await step(`unmount under ${dir}`, () => unmountUnder(dir));
  for (const ns of namespaces) await step(`ip netns del ${ns}`, () => deleteNetns(ns));
  const links = (await linkNames()).filter((l) => indexOfName(l) === index).sort((a, b) => b.length - a.length); // veths before the bridge
  for (const link of links) await step(`ip link del ${link}`, () => deleteLink(link));
  await step(`remove the iptables rule for ${bridge}`, () => removeBridgeRules(bridge));
  if (errors.length === 0) await step(`rm -rf ${dir}`, () => rm(dir, { recursive: true, force: true }));
  if (errors.length > 0) {
    throw new Error(`tearing down test Swarm cluster ${index} (${dir}) failed; clean up by hand as CONTRIBUTING.md says:\n- ${errors.join("\n- ")}`);
  }
}
