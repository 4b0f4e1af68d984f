/**
 * `gitdock status` on a Swarm: per service of this agent, the commit it runs, its desired and
 * running tasks, and on which nodes (by the node's `name` label, else its hostname, and its id, as
 * the nodes of one machine's test cluster share a hostname); with the Swarm's own update state, and
 * the lease and rollout gitdock keeps in the Swarm.
 */
import type Docker from "dockerode";
import { engineError } from "../engine/docker-client.js";
import { LABEL } from "../labels.js";
import { byCodePoint } from "../order.js";
import { ClusterStateStore, type ClusterState } from "./cluster-state.js";
import { isOwnedBy } from "./stack-names.js";
import type { SwarmNodeSeen, SwarmTask } from "./swarm-gate.js";

export interface SwarmServiceStatus {
  stack: string;
  service: string;
  /** `<project>_<service>`. */
  name: string;
  commit: string | undefined;
  /** Replicas asked for; for a global service, the tasks Swarm wants running. */
  desired: number;
  running: number;
  mode: "replicated" | "global";
  /** Where its tasks run: node → running tasks there. */
  nodes: { node: string; id: string; running: number }[];
  /** Swarm's update state, while an update is not completed (`updating`, `paused`, `rollback_completed`, ...). */
  update?: string;
}

export interface SwarmStatus {
  services: SwarmServiceStatus[];
  /** What gitdock keeps in the Swarm: the last good commit, failed commits, a rollout in progress. */
  cluster: Omit<ClusterState, "hashKey"> | undefined;
}

export async function swarmStatus(docker: Docker, agentId: string): Promise<SwarmStatus> {
  try {
    const [services, tasks, nodes] = await Promise.all([
      docker.listServices(),
      docker.listTasks({ filters: { "desired-state": ["running"] } }) as Promise<(SwarmTask & { ServiceID?: string })[]>,
      docker.listNodes() as Promise<SwarmNodeSeen[]>,
    ]);
    const nodeName = new Map(nodes.map((n) => [n.ID, n.Spec?.Labels?.["name"] ?? n.Description?.Hostname ?? n.ID]));
    const ours = services.filter((s) => isOwnedBy(s.Spec?.Labels, agentId));
    const cluster = await new ClusterStateStore(docker, agentId).read();
    return {
      services: ours
        .map((s) =>
          serviceStatus(
            s,
            tasks.filter((t) => t.ServiceID === s.ID),
            nodeName,
          ),
        )
        .sort((a, b) => byCodePoint(a.name, b.name)),
      cluster: cluster && withoutKey(cluster),
    };
  } catch (err) {
    throw engineError(err, "reading the Swarm's services and tasks");
  }
}

function serviceStatus(s: Docker.Service, tasks: readonly SwarmTask[], nodeName: ReadonlyMap<string, string>): SwarmServiceStatus {
  const labels = s.Spec?.Labels ?? {};
  const replicas = s.Spec?.Mode?.Replicated?.Replicas;
  const running = tasks.filter((t) => t.Status?.State === "running");
  const perNode = new Map<string, number>();
  for (const t of running) perNode.set(t.NodeID ?? "", (perNode.get(t.NodeID ?? "") ?? 0) + 1);
  const update = (s as { UpdateStatus?: { State?: string } }).UpdateStatus?.State;
  return {
    stack: labels[LABEL.stackNamespace] ?? "",
    service: labels[LABEL.composeService] ?? s.Spec?.Name ?? "",
    name: s.Spec?.Name ?? "",
    commit: labels[LABEL.commit],
    desired: replicas ?? tasks.length,
    running: running.length,
    mode: replicas === undefined ? "global" : "replicated",
    nodes: [...perNode].map(([id, n]) => ({ node: nodeName.get(id) ?? id, id, running: n })).sort((a, b) => byCodePoint(a.node, b.node)),
    ...(update && update !== "completed" ? { update } : {}),
  };
}

function withoutKey(state: ClusterState): Omit<ClusterState, "hashKey"> {
  const { hashKey: _key, ...rest } = state;
  return rest;
}

/** The status lines of a Swarm, for `gitdock status`. */
export function formatSwarmStatus(status: SwarmStatus): string[] {
  const short = (c: string | undefined) => (c ? c.slice(0, 12) : "-");
  const lines: string[] = [];
  const rollout = status.cluster?.rollout;
  if (rollout) lines.push(`swarm: rollout in progress: ${short(rollout.commit)} since ${rollout.startedAt} (by ${rollout.holder})`);
  if (status.cluster) lines.push(`swarm: last good ${short(status.cluster.lastGood?.commit)} (state kept in the Swarm, written ${status.cluster.updatedAt})`);
  let stack: string | undefined;
  for (const s of status.services) {
    if (s.stack !== stack) lines.push(`stack ${(stack = s.stack)}`);
    const where = s.nodes.map((n) => `${n.node} (${n.id.slice(0, 10)}) ×${n.running}`).join(", ");
    lines.push(`  ${s.service.padEnd(20)} ${`${s.running}/${s.desired} running`.padEnd(14)} ${short(s.commit)}${s.update ? `  update ${s.update}` : ""}`);
    if (where) lines.push(`    on ${where}`);
  }
  return lines;
}
