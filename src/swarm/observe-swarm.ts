import type Docker from "dockerode";
import { engineError } from "../engine/docker-client.js";
import { LABEL } from "../labels.js";
import type { ObservedSwarmService, SwarmSnapshot } from "../plan/index.js";
import { isOwnedBy } from "./stack-names.js";

/**
 * The Swarm as it is: every service (a name gitdock needs may be held by one it does not own) and
 * every network, by name. Two list calls; the tasks are the gate's business (swarm-gate.ts).
 */
export async function observeSwarm(docker: Docker, agentId: string): Promise<SwarmSnapshot> {
  try {
    const [services, networks] = await Promise.all([docker.listServices(), docker.listNetworks()]);
    const networkNames = new Map(networks.map((n) => [n.Id, n.Name]));
    return {
      services: services.map((s) => toObserved(s, agentId, networkNames)),
      networks: networks.map((n) => ({ name: n.Name, managed: isOwnedBy(n.Labels ?? undefined, agentId) })),
    };
  } catch (err) {
    throw engineError(err, "listing the Swarm's services");
  }
}

function toObserved(s: Docker.Service, agentId: string, networkNames: ReadonlyMap<string, string>): ObservedSwarmService {
  const spec = withNetworkNames((s.Spec ?? {}) as SpecSeen, networkNames);
  const labels = spec.Labels ?? {};
  return {
    id: s.ID,
    name: spec.Name ?? "",
    managed: isOwnedBy(labels, agentId),
    project: labels[LABEL.composeProject],
    service: labels[LABEL.composeService],
    commit: labels[LABEL.commit],
    specHash: labels[LABEL.specHash],
    spec,
  };
}

type SpecSeen = Record<string, unknown> & { Name?: string; Labels?: Record<string, string>; TaskTemplate?: { Networks?: { Target?: string }[] } };

/** Swarm keeps a service's networks by id; gitdock sends them by name, and compares them so. */
function withNetworkNames(spec: SpecSeen, names: ReadonlyMap<string, string>): SpecSeen {
  const networks = spec.TaskTemplate?.Networks;
  if (!networks) return spec;
  const named = networks.map((n) => ({ ...n, Target: names.get(n.Target ?? "") ?? n.Target }));
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, Networks: named } };
}
