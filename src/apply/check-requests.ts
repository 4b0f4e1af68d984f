import type { ManifestProblem } from "../errors.js";
import type { DesiredState } from "../model.js";
import {
  judgeEngineRequests,
  locateViolations,
  hostSourcesOf,
  type EngineObjects,
  type EngineRequest,
  type GuardedPaths,
  type HostPolicy,
  type PolicySources,
  type RequestViolation,
} from "../policy/index.js";
import type { HostSnapshot } from "../plan/types.js";
import { engineRequests, policyView, stackDeclarations } from "./engine-requests.js";
import { bindRootsOf, checkHostPath } from "./host-bind-sources.js";

export interface RequestCheck {
  policy: HostPolicy;
  guarded: GuardedPaths;
  agentId: string;
  /** Where the stacks were written, for file:line:col. */
  sources?: PolicySources;
  /** The Engine as it is: who owns the containers, networks and volumes a request names. */
  host?: HostSnapshot;
}

/**
 * The host policy on the Engine requests a desired state leads to: every container, volume and
 * network create (and network connect) that apply would send, judged field by field
 * (policy/requests/). The bodies differ from apply's only in the environment values read from
 * env_files and in gitdock's own labels, both fields the policy leaves free.
 */
export function checkEngineRequests(desired: DesiredState, check: RequestCheck): ManifestProblem[] {
  const view = policyView(desired);
  const requests = engineRequests(view, check.agentId);
  const violations = judgeEngineRequests(requests, {
    policy: check.policy,
    guarded: check.guarded,
    stacks: stackDeclarations(view),
    engine: check.host && engineObjects(check.host),
  });
  return locateViolations(violations, check.sources);
}

/**
 * Before the first change: every bind source (and volume bind device) is looked at on the host
 * without following symlinks (host-bind-sources.ts). Creates nothing; a missing path is fine here
 * (apply creates it, checking again).
 */
export async function checkHostBindSources(desired: DesiredState, check: RequestCheck): Promise<ManifestProblem[]> {
  return checkRequestHostSources(engineRequests(policyView(desired), check.agentId), check);
}

/** The bind sources of any requests (containers' or Swarm services'), looked at on this host. */
export async function checkRequestHostSources(requests: readonly EngineRequest[], check: Omit<RequestCheck, "host">): Promise<ManifestProblem[]> {
  const roots = bindRootsOf(check.policy, check.guarded.readOnlyRoots);
  const violations: RequestViolation[] = [];
  for (const { request, field, path, writable } of hostSourcesOf(requests)) {
    const verdict = await checkHostPath(path, writable ? roots.readWrite : roots.readOnly, { create: false });
    if (!verdict.ok) violations.push({ origin: request.origin, field, message: `bind source refused on this host: ${verdict.reason}` });
  }
  return locateViolations(violations, check.sources);
}

function engineObjects(host: HostSnapshot): EngineObjects {
  return {
    containers: new Map(host.containers.map((c) => [c.name, c.managed])),
    networks: new Map(host.networks.map((n) => [n.name, n.managed])),
    volumes: new Map(host.volumes.map((v) => [v.name, v.managed])),
  };
}
