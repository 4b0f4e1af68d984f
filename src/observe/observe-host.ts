import type Docker from "dockerode";
import { LABEL, previousOf } from "../labels.js";
import { engineError } from "../engine/docker-client.js";
import type { HostSnapshot, ObservedContainer, ObservedResource } from "../plan/types.js";
import { runToCompletionOf } from "./run-to-completion-of.js";

/**
 * One snapshot of the host: every container (running or not: a name gitdock needs may be held by a
 * stopped foreign container), and the networks and volumes by name. Three list calls, no inspects,
 * so a no-op sync stays cheap however many services there are.
 */
export async function observeHost(docker: Docker, agentId: string): Promise<HostSnapshot> {
  try {
    const [containers, networks, volumes] = await Promise.all([observeContainers(docker, agentId), docker.listNetworks(), docker.listVolumes()]);
    return {
      containers,
      networks: networks.map((n) => toResource(n.Name, n.Labels, agentId)),
      volumes: (volumes.Volumes ?? []).map((v) => toResource(v.Name, v.Labels, agentId)),
    };
  } catch (err) {
    throw engineError(err, "listing containers");
  }
}

/** Every container, as in a snapshot; one list call. */
export async function observeContainers(docker: Docker, agentId: string): Promise<ObservedContainer[]> {
  try {
    return (await docker.listContainers({ all: true })).map((c) => toObservedContainer(c, agentId));
  } catch (err) {
    throw engineError(err, "listing containers");
  }
}

function toObservedContainer(c: Docker.ContainerInfo, agentId: string): ObservedContainer {
  const labels = c.Labels ?? {};
  const number = Number(labels[LABEL.composeNumber]);
  const name = (c.Names[0] ?? "").replace(/^\//, "");
  return {
    id: c.Id,
    name,
    managed: isOurs(labels, agentId),
    project: labels[LABEL.composeProject],
    service: labels[LABEL.composeService],
    number: Number.isInteger(number) ? number : undefined,
    commit: labels[LABEL.commit],
    specHash: labels[LABEL.specHash],
    fieldHashesLabel: labels[LABEL.fieldHashes],
    ...(labels[LABEL.hashScheme] ? { hashScheme: labels[LABEL.hashScheme] } : {}),
    ...(labels[LABEL.keyId] ? { keyId: labels[LABEL.keyId] } : {}),
    image: c.Image,
    state: c.State,
    running: c.State === "running",
    health: healthOf(c.Status),
    previousOf: previousOf(name),
    ...publishedPortsOf(c),
    ...runToCompletionOf(c.State, c.Status, labels),
  };
}

function publishedPortsOf(c: Docker.ContainerInfo): { publishedPorts?: string[] } {
  const ports = [...new Set((c.Ports ?? []).filter((p) => p.PublicPort).map((p) => `${p.PublicPort}/${p.Type}`))];
  return ports.length ? { publishedPorts: ports } : {};
}

function toResource(name: string, labels: Record<string, string> | null | undefined, agentId: string): ObservedResource {
  const l = labels ?? {};
  return { name, project: l[LABEL.composeProject], managed: isOurs(l, agentId) };
}

function isOurs(labels: Record<string, string>, agentId: string): boolean {
  return labels[LABEL.managed] === "true" && labels[LABEL.agent] === agentId;
}

/** The list API has no health field; its Status text ends in "(healthy)", "(unhealthy)" or "(health: starting)". */
export function healthOf(status: string | undefined): ObservedContainer["health"] {
  if (!status) return "none";
  if (status.includes("(unhealthy)")) return "unhealthy";
  if (status.includes("(healthy)")) return "healthy";
  if (status.includes("(health: starting)")) return "starting";
  return "none";
}
