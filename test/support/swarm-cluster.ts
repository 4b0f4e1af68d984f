/**
 * A real multi-node Docker Swarm on this one machine, for the Swarm engine's end-to-end tests:
 * each node is its own dockerd in its own network namespace, with a veth into a bridge on the host
 * (`gdsw<k>`); the nodes pull test images from a second registry on the bridge address that serves
 * the test registry's storage (test/support/images.ts pushes to 127.0.0.1:5000; `cluster.image()`
 * rewrites a reference to the bridge registry). Names, subnets and paths come from an index claimed
 * atomically (swarm-cluster/layout.ts), so clusters of several runs coexist.
 *
 * Quorum: Raft needs a majority of managers. With 2 managers, killing either leaves the swarm
 * without quorum: writes on the survivor hang at once, and 20-30 s later every manager call
 * (even `docker node ls`) fails with "The swarm does not have a leader" until the other comes
 * back; nothing is rescheduled meanwhile. A scenario that must survive a manager's death needs
 * `managers: 3` (checked in test/e2e/swarm-cluster.test.ts; a third manager adds about a second
 * to the start).
 *
 * `killEngine(node)` kills dockerd alone: its containerd and containers keep running, as after a
 * crash of dockerd, until `startEngine` (dockerd then reconciles them) or `stop()`;
 * `killEngine(node, { containers: true })` kills everything of the node, as a dead machine.
 *
 * Teardown: `stop()` (idempotent). A crashed run's leftovers are removed by
 * `cleanupStaleSwarmClusters()`, which test/support/global-setup.ts calls before and after every
 * end-to-end run; by hand: see CONTRIBUTING.md.
 */
import { SWARM_ROOT, claimIndex } from "./swarm-cluster/claim.js";
import { dockerAt, engineArgv, killEngine, prepareNodeDirs, spawnEngine, waitEngineAnswers } from "./swarm-cluster/engine.js";
import { allowBridgeTraffic, createBridge, createNodeNetns } from "./swarm-cluster/host-net.js";
import { clusterLayout, type ClusterLayout, type NodeLayout, type NodeRole } from "./swarm-cluster/layout.js";
import { formSwarm } from "./swarm-cluster/join.js";
import { startBridgeRegistry } from "./swarm-cluster/registry.js";
import { sleep } from "./swarm-cluster/run.js";
import { teardownCluster } from "./swarm-cluster/teardown.js";
import { REGISTRY } from "./images.js";

export { cleanupStaleSwarmClusters } from "./swarm-cluster/cleanup-stale.js";
export { SWARM_ROOT } from "./swarm-cluster/claim.js";
export type { NodeRole } from "./swarm-cluster/layout.js";

export interface SwarmClusterOptions {
  /** What the cluster is for (recorded in its owner file, shown in errors), e.g. the test file's prefix. */
  name: string;
  /** 1 to 3. */
  managers: number;
  /** 0 or more; managers + workers at most 7. */
  workers: number;
}

export interface SwarmNode {
  /** `m1`, `m2`, `m3` for managers, `w1`, `w2`, ... for workers; also its Swarm label `name`. */
  name: string;
  role: NodeRole;
  /** Path of its dockerd's unix socket. */
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST or dockerode's `socketPath` (use `socket`). */
  dockerHost: string;
  /** Its address on the bridge (its eth0), e.g. `10.231.3.11`. */
  address: string;
  /** Its Swarm node id. Every node reports the machine's hostname, so tell them apart by this (or the `name` label). */
  nodeId: string;
  /** Its network namespace (`ip netns`), e.g. `gdsw3-w1`. */
  netns: string;
}

export type NodeRef = SwarmNode | string;

export interface SwarmCluster {
  /** The claimed index `k`: bridge `gdsw<k>`, subnet 10.231.<k>.0/24. */
  index: number;
  /** The cluster's directory (data roots, sockets, pid files, dockerd logs). */
  dir: string;
  bridge: string;
  nodes: SwarmNode[];
  /** The first manager (the one that ran `swarm init`). */
  manager: SwarmNode;
  /** `host:port` of the registry every node pulls from, on the bridge address. */
  registry: string;
  /** Rewrites `127.0.0.1:5000/<repo>@sha256:<digest>` to the same image through `registry`. */
  image(ref: string): string;
  /** The node by name (`m1`, `w2`); throws for an unknown one. */
  node(name: string): SwarmNode;
  /** Runs the docker CLI against the node's Engine; returns stdout, throws with stderr. */
  docker(node: NodeRef, args: string[], opts?: { timeoutMs?: number }): Promise<string>;
  /**
   * SIGKILLs the node's dockerd: the node "dies" for Swarm. Its containerd and containers keep
   * running (as after a crash of dockerd alone) unless `containers: true`, which SIGKILLs every
   * process of the node too (containerd, shims, containers), as when the machine itself dies.
   */
  killEngine(node: NodeRef, opts?: { containers?: boolean }): Promise<void>;
  /** Starts the node's dockerd again with the same arguments; returns once it answers and a manager sees the node Ready. */
  startEngine(node: NodeRef): Promise<void>;
  /** Waits until a manager reports the node in `state` (Swarm's node state: `ready`, `down`, ...). */
  waitForNodeState(node: NodeRef, state: string, opts?: { timeoutMs?: number }): Promise<void>;
  /** Tears everything down (swarm, engines, registry, namespaces, bridge, iptables rule, directory). Idempotent; throws one error listing every step that failed. */
  stop(): Promise<void>;
}

const NODE_STATE_TIMEOUT_MS = 60_000;

async function startNetwork(c: ClusterLayout): Promise<void> {
  await createBridge(c);
  await allowBridgeTraffic(c.bridge);
  for (const n of c.nodes) await createNodeNetns(c, n);
}

async function startEngines(c: ClusterLayout, argv: Map<string, string[]>): Promise<void> {
  for (const n of c.nodes) {
    await prepareNodeDirs(n);
    await spawnEngine(n, argv.get(n.name) as string[]);
  }
  await Promise.all(c.nodes.map((n) => waitEngineAnswers(n)));
}

function rewriteImage(registry: string, ref: string): string {
  const prefix = `${REGISTRY}/`;
  if (!ref.startsWith(prefix) || !/@sha256:[0-9a-f]{64}$/.test(ref)) {
    throw new Error(`cluster.image() takes a digest-pinned reference in the test registry (${prefix}...@sha256:...), got ${JSON.stringify(ref)}`);
  }
  return `${registry}/${ref.slice(prefix.length)}`;
}

/** A manager's view of the node's state, from the first manager that answers. */
async function nodeState(layout: ClusterLayout, nodeId: string): Promise<string> {
  let last: Error | undefined;
  for (const m of layout.nodes.filter((n) => n.role === "manager")) {
    try {
      return (await dockerAt(m.socket, ["node", "inspect", "--format", "{{.Status.State}}", nodeId], { timeoutMs: 10_000 })).trim();
    } catch (err) {
      last = err as Error;
    }
  }
  throw last ?? new Error("no manager");
}

function makeCluster(layout: ClusterLayout, ids: Map<string, string>, registry: string, argv: Map<string, string[]>): SwarmCluster {
  const nodes: SwarmNode[] = layout.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    socket: n.socket,
    dockerHost: `unix://${n.socket}`,
    address: n.address,
    nodeId: ids.get(n.name) as string,
    netns: n.netns,
  }));
  const byName = (ref: NodeRef): { node: SwarmNode; layout: NodeLayout } => {
    const name = typeof ref === "string" ? ref : ref.name;
    const i = nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`test Swarm cluster ${layout.index} has no node ${JSON.stringify(name)} (nodes: ${nodes.map((n) => n.name).join(", ")})`);
    return { node: nodes[i] as SwarmNode, layout: layout.nodes[i] as NodeLayout };
  };
  const waitForNodeState = async (ref: NodeRef, state: string, opts: { timeoutMs?: number } = {}): Promise<void> => {
    const { node } = byName(ref);
    const timeoutMs = opts.timeoutMs ?? NODE_STATE_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    let last: string;
    for (;;) {
      last = await nodeState(layout, node.nodeId).catch((err: Error) => `error: ${err.message}`);
      if (last === state) return;
      if (Date.now() >= deadline) throw new Error(`node ${node.name} (${node.nodeId}) was not ${state} within ${timeoutMs} ms (last: ${last})`);
      await sleep(300);
    }
  };
  return {
    index: layout.index,
    dir: layout.dir,
    bridge: layout.bridge,
    nodes,
    manager: nodes[0] as SwarmNode,
    registry,
    image: (ref) => rewriteImage(registry, ref),
    node: (name) => byName(name).node,
    docker: (ref, args, opts) => dockerAt(byName(ref).node.socket, args, opts),
    killEngine: (ref, opts) => killEngine(byName(ref).layout, opts),
    startEngine: async (ref) => {
      const { layout: n } = byName(ref);
      await spawnEngine(n, argv.get(n.name) as string[]);
      await waitEngineAnswers(n);
      await waitForNodeState(ref, "ready");
    },
    waitForNodeState,
    stop: () => teardownCluster(layout.index),
  };
}

/**
 * Starts a cluster of `managers` + `workers` nodes and returns once every node is Ready and
 * labelled. On any failure it tears down what it made and throws (with the failing dockerd's log tail).
 */
export async function startSwarmCluster(opts: SwarmClusterOptions): Promise<SwarmCluster> {
  clusterLayout(SWARM_ROOT, 0, opts.managers, opts.workers); // checks the counts before claiming an index
  const index = await claimIndex(opts.name);
  const layout = clusterLayout(SWARM_ROOT, index, opts.managers, opts.workers);
  try {
    await startNetwork(layout);
    const registry = await startBridgeRegistry(layout.dir, layout.gateway);
    const argv = new Map(layout.nodes.map((n) => [n.name, engineArgv(n, registry)]));
    await startEngines(layout, argv);
    const ids = await formSwarm(layout);
    return makeCluster(layout, ids, registry, argv);
  } catch (err) {
    const cleanup = await teardownCluster(index).then(
      () => "",
      (e: Error) => `\n(and its teardown failed too: ${e.message})`,
    );
    throw new Error(`starting test Swarm cluster ${JSON.stringify(opts.name)} (index ${index}, ${layout.dir}) failed: ${(err as Error).message}${cleanup}`, {
      cause: err,
    });
  }
}
