import { posix } from "node:path";
import { replicaName } from "../labels.js";
import type { DesiredState } from "../model.js";
import type { EngineRequest, JudgeOptions, StackDeclarations } from "../policy/index.js";
import type { ResolvedService, ResolvedState } from "../plan/types.js";
import { containerConfig, endpoint, type NetworkAttachment } from "./container-config.js";
import { networkCreateBody, volumeCreateBody } from "./resource-config.js";

/**
 * Every request apply would send to create what a desired state asks for: each replica's container
 * (and its extra network connections), each volume and network the stack owns. Built by the same
 * functions apply uses, so the policy judges exactly what reaches the Engine.
 */
export function engineRequests(state: ResolvedState, agentId: string): EngineRequest[] {
  const out: EngineRequest[] = [];
  for (const { stack, services } of state.stacks) {
    const at = (path: (string | number)[]) => ({ file: stack.file, project: stack.project, path });
    for (const volume of stack.volumes) {
      if (!volume.external) out.push({ kind: "volume-create", body: volumeCreateBody(stack.project, volume, agentId), origin: at(["volumes", volume.key]) });
    }
    for (const network of stack.networks) {
      if (!network.external)
        out.push({ kind: "network-create", body: networkCreateBody(stack.project, network, agentId), origin: at(["networks", network.key]) });
    }
    for (const service of services) {
      for (let number = 1; number <= service.service.replicas; number++) {
        const config = containerConfig({ stack, service, number, commit: state.commit, agentId });
        const origin = at(["services", service.service.name]);
        out.push({ kind: "container-create", body: config.create as Record<string, unknown>, origin });
        for (const n of config.extraNetworks) {
          out.push({ kind: "network-connect", network: n.name, container: config.name, body: connectBody(config.name, n), origin });
        }
      }
    }
  }
  return out;
}

/** The body of POST /networks/{name}/connect (container-ops.ts sends the same). */
export function connectBody(container: string, n: NetworkAttachment): Record<string, unknown> {
  return { Container: container, EndpointConfig: endpoint(n) };
}

/**
 * A desired state as the policy sees it before the host is read: no env_file values (they are
 * never judged) and no secret digests, but every mount, secret file and setting.
 */
export function policyView(desired: DesiredState): ResolvedState {
  return {
    commit: desired.commit,
    stacks: desired.stacks.map((stack) => ({
      stack,
      services: stack.services.map((service): ResolvedService => {
        const secrets = service.secrets?.map((s) => ({ source: s.source, target: s.target, file: s.file, digest: "" }));
        return { project: stack.project, service, spec: secrets ? { ...service.container, secrets } : service.container, specHash: "", fieldHashes: {} };
      }),
    })),
  };
}

/** What each project declares: the containers it creates and its networks and volumes by Engine name. */
export function stackDeclarations(state: ResolvedState): JudgeOptions["stacks"] {
  return new Map(
    state.stacks.map(({ stack, services }): [string, StackDeclarations] => [
      stack.project,
      {
        containers: new Set(services.flatMap((s) => Array.from({ length: s.service.replicas }, (_, i) => replicaName(stack.project, s.service, i + 1)))),
        networks: new Map(stack.networks.map((n) => [n.name, { external: n.external }])),
        volumes: new Map(stack.volumes.map((v) => [v.name, { external: v.external }])),
        ...(stack.decryptedFiles ? { decryptedFiles: new Set(stack.decryptedFiles.map((o) => posix.join(o.store, o.name))) } : {}),
      },
    ]),
  );
}
