/**
 * Forming the swarm: `swarm init` on the first manager (advertising its bridge address, overlay
 * subnets from the cluster's own pool), the other managers joining one after the other (Raft adds
 * one member at a time), the workers together; then every node Ready and labelled `name=<node>`.
 */
import { dockerAt } from "./engine.js";
import type { ClusterLayout, NodeLayout } from "./layout.js";
import { sleep } from "./run.js";

const READY_TIMEOUT_MS = 60_000;
/**
 * How often nodes report to the managers. Swarm's default is 5 s; 2 s makes a dead node show as
 * Down (and its tasks move) sooner, which the node-failure scenarios wait for.
 */
export const DISPATCHER_HEARTBEAT = "2s";

async function join(n: NodeLayout, token: string, leader: NodeLayout): Promise<void> {
  await dockerAt(n.socket, ["swarm", "join", "--token", token, "--advertise-addr", n.address, "--listen-addr", `${n.address}:2377`, `${leader.address}:2377`]);
}

async function nodeStates(manager: NodeLayout): Promise<string[]> {
  return (await dockerAt(manager.socket, ["node", "ls", "--format", "{{.Status}}"], { timeoutMs: 10_000 })).split("\n").filter(Boolean);
}

async function waitAllReady(manager: NodeLayout, count: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: string[];
  for (;;) {
    last = await nodeStates(manager).catch((err: Error) => [err.message]);
    if (last.length === count && last.every((s) => s === "Ready")) return;
    if (Date.now() >= deadline)
      throw new Error(`not all ${count} nodes of the test Swarm were Ready within ${READY_TIMEOUT_MS} ms (node ls: ${last.join(", ")})`);
    await sleep(300);
  }
}

/** Forms the swarm; returns node name → Swarm node id. */
export async function formSwarm(c: ClusterLayout): Promise<Map<string, string>> {
  const managers = c.nodes.filter((n) => n.role === "manager");
  const workers = c.nodes.filter((n) => n.role === "worker");
  const first = managers[0] as NodeLayout;
  await dockerAt(first.socket, [
    "swarm",
    "init",
    "--advertise-addr",
    first.address,
    "--listen-addr",
    `${first.address}:2377`,
    "--default-addr-pool",
    c.overlayPool,
    "--default-addr-pool-mask-length",
    String(c.overlayMaskLength),
    "--dispatcher-heartbeat",
    DISPATCHER_HEARTBEAT,
  ]);
  const managerToken = (await dockerAt(first.socket, ["swarm", "join-token", "-q", "manager"])).trim();
  const workerToken = (await dockerAt(first.socket, ["swarm", "join-token", "-q", "worker"])).trim();
  for (const m of managers.slice(1)) await join(m, managerToken, first);
  await Promise.all(workers.map((w) => join(w, workerToken, first)));
  await waitAllReady(first, c.nodes.length);
  const ids = new Map<string, string>();
  for (const n of c.nodes) {
    const id = (await dockerAt(n.socket, ["info", "--format", "{{.Swarm.NodeID}}"])).trim();
    await dockerAt(first.socket, ["node", "update", "--label-add", `name=${n.name}`, id]);
    ids.set(n.name, id);
  }
  return ids;
}
