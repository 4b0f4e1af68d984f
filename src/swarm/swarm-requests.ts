/**
 * The host policy on what gitdock would send a Swarm for a desired state: each overlay network,
 * secret and config the stacks own, and each service's ServiceSpec, built by the same functions
 * apply uses (desired-services.ts), judged field by field (policy/requests/) against the Swarm as
 * it is, then every bind source on this manager without following symlinks. The bodies differ from
 * apply's only in what the policy leaves free: environment values from env files, the content digests
 * in secret names (read on the host when the plan is made), the hashes, and objects' content.
 */
import type Docker from "dockerode";
import { checkRequestHostSources, type RequestCheck } from "../apply/check-requests.js";
import { policyView, stackDeclarations } from "../apply/engine-requests.js";
import { engineError } from "../engine/docker-client.js";
import type { ManifestProblem } from "../errors.js";
import type { DesiredState } from "../model.js";
import type { ResolvedState } from "../plan/index.js";
import { judgeEngineRequests, locateViolations, type EngineObjects, type EngineRequest, type StackDeclarations } from "../policy/index.js";
import { overlayNetworkBody } from "./apply-swarm.js";
import { desiredSwarm } from "./desired-services.js";
import { isOwnedBy as ownedBy, ownerLabels } from "./stack-names.js";
import { stackObjects } from "./swarm-objects.js";

/** Hashes in the judged bodies are gitdock's own labels, free to the policy: any key gives the same verdict. */
const POLICY_VIEW_KEY = Buffer.alloc(32);

export async function checkSwarmRequests(desired: DesiredState, check: Omit<RequestCheck, "host">, docker: Docker): Promise<ManifestProblem[]> {
  const refused = judgeSwarmRequests(desired, check, await swarmObjects(docker, check.agentId));
  return refused.length ? refused : checkRequestHostSources(swarmRequests(policyView(desired), check.agentId), check);
}

/** The policy on the requests alone, against the Swarm as `engine` says it is (none: `gitdock validate`). */
export function judgeSwarmRequests(desired: DesiredState, check: Omit<RequestCheck, "host">, engine?: EngineObjects): ManifestProblem[] {
  const view = policyView(desired);
  const violations = judgeEngineRequests(swarmRequests(view, check.agentId), {
    policy: check.policy,
    guarded: check.guarded,
    stacks: swarmDeclarations(view),
    swarm: true,
    agentId: check.agentId,
    ...(engine ? { engine } : {}),
  });
  return locateViolations(violations, check.sources);
}

export function swarmRequests(resolved: ResolvedState, agentId: string): EngineRequest[] {
  const out: EngineRequest[] = [];
  const services = new Map(desiredSwarm(resolved, agentId, POLICY_VIEW_KEY).services.map((s) => [s.name, s]));
  for (const resolvedStack of resolved.stacks) {
    const { stack } = resolvedStack;
    const at = (path: (string | number)[]) => ({ file: stack.file, project: stack.project, path });
    for (const n of stack.networks.filter((x) => !x.external)) {
      out.push({ kind: "network-create", body: overlayNetworkBody(stack.project, n, agentId), origin: at(["networks", n.key]) });
    }
    for (const o of stackObjects(resolvedStack).objects) {
      const body = { Name: o.name, Labels: ownerLabels(o.project, agentId) };
      out.push({ kind: o.kind === "secret" ? "secret-create" : "config-create", body, origin: at([`${o.kind}s`, o.key]) });
    }
    for (const s of resolvedStack.services) {
      const service = services.get(`${stack.project}_${s.service.name}`);
      if (service) out.push({ kind: "service-create", body: service.body, origin: at(["services", s.service.name]) });
    }
  }
  return out;
}

/** The container engine's declarations, and the Swarm secrets and configs each stack's services may mount. */
function swarmDeclarations(resolved: ResolvedState): Map<string, StackDeclarations> {
  const declared = new Map(stackDeclarations(resolved));
  for (const resolvedStack of resolved.stacks) {
    const { names } = stackObjects(resolvedStack);
    const own = declared.get(resolvedStack.stack.project);
    if (own)
      declared.set(resolvedStack.stack.project, { ...own, swarmSecrets: new Set(names.secrets.values()), swarmConfigs: new Set(names.configs.values()) });
  }
  return declared;
}

/** Who owns the Swarm's services, networks, secrets and configs. */
async function swarmObjects(docker: Docker, agentId: string): Promise<EngineObjects> {
  try {
    const [services, networks, secrets, configs] = await Promise.all([
      docker.listServices(),
      docker.listNetworks(),
      docker.listSecrets(),
      docker.listConfigs(),
    ]);
    const owned = (labels: Record<string, string> | undefined) => ownedBy(labels, agentId);
    return {
      containers: new Map(),
      volumes: new Map(),
      networks: new Map(networks.map((n) => [n.Name, owned(n.Labels ?? undefined)])),
      services: new Map(services.map((s) => [s.Spec?.Name ?? "", owned(s.Spec?.Labels)])),
      secrets: new Map(secrets.map((s) => [s.Spec?.Name ?? "", { id: s.ID, managed: owned(s.Spec?.Labels) }])),
      configs: new Map(configs.map((c) => [c.Spec?.Name ?? "", { id: c.ID, managed: owned(c.Spec?.Labels) }])),
    };
  } catch (err) {
    throw engineError(err, "listing the Swarm's objects");
  }
}
