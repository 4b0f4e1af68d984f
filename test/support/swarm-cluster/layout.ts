/**
 * Every name, address and path of one test Swarm cluster, derived from its index `k` alone, so that
 * clusters started at the same time (two test files, two engineers) never collide, and so that the
 * cleanup of a crashed run can find everything a cluster made from `k` without any record of it.
 *
 *   bridge        gdsw<k>                 10.231.<k>.1/24 (the host's side; the bridge registry listens here)
 *   node i        netns gdsw<k>-<name>    10.231.<k>.<10+i> on its eth0, host veth gdsw<k>-<name>
 *   docker0       10.232.<k*8+i>.1/24     (--bip: one /24 per node in the whole machine)
 *   local pools   10.233.<k*8+i>.0/24     (--default-address-pool, /26 networks: docker_gwbridge and a few)
 *   overlay pool  10.<100+k>.0.0/16       (swarm init --default-addr-pool, /24 overlays)
 *
 * The host Engine's networks come from 172.16.0.0/12 (scripts/test-env.sh), and nothing on the
 * machine uses 10.100-10.131 or 10.231-10.233, so none of these overlap it or each other.
 */
import path from "node:path";

/** How many clusters may exist at once on one machine: `k` is 0..MAX_CLUSTERS-1. */
export const MAX_CLUSTERS = 32;
/** Node slots per cluster (managers + workers): `k*8+i` must stay below 256 for the per-node /24s. */
export const MAX_NODES = 7;
export const MAX_MANAGERS = 3;
/** Every bridge, veth and namespace of the harness starts with this; cleanup matches on it. */
export const NAME_PREFIX = "gdsw";

export type NodeRole = "manager" | "worker";

export interface NodeLayout {
  /** `m1`, `m2`, ... for managers, `w1`, `w2`, ... for workers. */
  name: string;
  role: NodeRole;
  /** 1-based position in the cluster (managers first). */
  slot: number;
  netns: string;
  hostVeth: string;
  /** The node's address on the bridge (its eth0), e.g. 10.231.3.11. */
  address: string;
  bip: string;
  addressPool: string;
  dir: string;
  socket: string;
  pidFile: string;
  dataRoot: string;
  execRoot: string;
  log: string;
  /** An empty daemon.json of its own, so /etc/docker/daemon.json (the host Engine's) never applies. */
  configFile: string;
}

export interface ClusterLayout {
  index: number;
  /** The cluster's directory; creating it is what claims the index. */
  dir: string;
  bridge: string;
  /** The host's address on the bridge, e.g. 10.231.3.1. */
  gateway: string;
  prefixLength: number;
  /** `swarm init --default-addr-pool`: the subnets overlay networks get. */
  overlayPool: string;
  overlayMaskLength: number;
  nodes: NodeLayout[];
}

export function clusterDir(root: string, index: number): string {
  return path.join(root, String(index));
}

export function bridgeName(index: number): string {
  return `${NAME_PREFIX}${index}`;
}

/** The cluster index a bridge, veth or namespace name belongs to, or null when it is not the harness's. */
export function indexOfName(name: string): number | null {
  const m = new RegExp(`^${NAME_PREFIX}(\\d+)(?:-[a-z0-9]+)?$`).exec(name);
  return m ? Number(m[1]) : null;
}

function checkCounts(index: number, managers: number, workers: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CLUSTERS) throw new Error(`cluster index ${index} is outside 0..${MAX_CLUSTERS - 1}`);
  if (!Number.isInteger(managers) || managers < 1 || managers > MAX_MANAGERS) {
    throw new Error(`a test Swarm needs 1 to ${MAX_MANAGERS} managers, got ${managers}`);
  }
  if (!Number.isInteger(workers) || workers < 0 || managers + workers > MAX_NODES) {
    throw new Error(`a test Swarm has at most ${MAX_NODES} nodes, got ${managers} managers and ${workers} workers`);
  }
}

function nodeLayout(index: number, dir: string, role: NodeRole, ordinal: number, slot: number): NodeLayout {
  const name = `${role === "manager" ? "m" : "w"}${ordinal}`;
  const nodeDir = path.join(dir, name);
  const perNode = index * 8 + slot;
  return {
    name,
    role,
    slot,
    netns: `${bridgeName(index)}-${name}`,
    hostVeth: `${bridgeName(index)}-${name}`,
    address: `10.231.${index}.${10 + slot}`,
    bip: `10.232.${perNode}.1/24`,
    addressPool: `base=10.233.${perNode}.0/24,size=26`,
    dir: nodeDir,
    socket: path.join(nodeDir, "docker.sock"),
    pidFile: path.join(nodeDir, "docker.pid"),
    dataRoot: path.join(nodeDir, "data"),
    execRoot: path.join(nodeDir, "exec"),
    log: path.join(nodeDir, "dockerd.log"),
    configFile: path.join(nodeDir, "daemon.json"),
  };
}

export function clusterLayout(root: string, index: number, managers: number, workers: number): ClusterLayout {
  checkCounts(index, managers, workers);
  const dir = clusterDir(root, index);
  const nodes: NodeLayout[] = [];
  for (let m = 1; m <= managers; m++) nodes.push(nodeLayout(index, dir, "manager", m, nodes.length + 1));
  for (let w = 1; w <= workers; w++) nodes.push(nodeLayout(index, dir, "worker", w, nodes.length + 1));
  return {
    index,
    dir,
    bridge: bridgeName(index),
    gateway: `10.231.${index}.1`,
    prefixLength: 24,
    overlayPool: `10.${100 + index}.0.0/16`,
    overlayMaskLength: 24,
    nodes,
  };
}
