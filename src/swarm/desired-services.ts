import { createHmac } from "node:crypto";
import { LABEL } from "../labels.js";
import type { Probe } from "../model.js";
import { canonicalJson, type DesiredSwarmService, type ResolvedState } from "../plan/index.js";
import { serviceSpec, type JsonObject } from "./service-spec.js";
import { stackObjects, type SwarmObject } from "./swarm-objects.js";

/** A desired service with the body apply sends (the hash stamped on the service and on its tasks). */
export interface SwarmServiceToSend extends DesiredSwarmService {
  body: JsonObject;
  /** The hash of its task template, on its tasks (swarm-gate.ts). */
  taskHash: string;
  /** The task template sent (its tasks are told by it: swarm-gate.ts). */
  template: JsonObject;
  /** `x-gitdock.probe`, run against each task (swarm-gate.ts). */
  probe: Probe | undefined;
  /** How long its tasks get to converge, and then to stay up (x-gitdock.health_timeout, update_config.monitor). */
  healthTimeoutMs: number;
  monitorMs: number;
}

export interface DesiredSwarm {
  services: SwarmServiceToSend[];
  objects: SwarmObject[];
}

/**
 * Every service of a resolved commit as the body gitdock sends, with its spec hash: an HMAC under the
 * host key over the body without the commit label (environment values are in the body, so a plain
 * hash in a label could be checked against guesses).
 */
export function desiredSwarm(resolved: ResolvedState, agentId: string, hostKey: Buffer): DesiredSwarm {
  const services: SwarmServiceToSend[] = [];
  const objects: SwarmObject[] = [];
  for (const resolvedStack of resolved.stacks) {
    const { names, objects: own } = stackObjects(resolvedStack);
    objects.push(...own);
    for (const service of resolvedStack.services) {
      const body = serviceSpec({ stack: resolvedStack.stack, service, commit: resolved.commit, agentId, objects: names });
      const sent = withoutCommit(body);
      const specHash = keyedHash(hostKey, "service", sent);
      const taskHash = keyedHash(hostKey, "task", sent["TaskTemplate"]);
      const stamped = stampHashes(body, specHash, taskHash);
      services.push({
        project: resolvedStack.stack.project,
        service: service.service.name,
        name: String(body["Name"]),
        specHash,
        sent,
        dependsOn: service.service.dependsOn.map((d) => d.service),
        taskHash,
        body: stamped,
        template: stamped["TaskTemplate"] as JsonObject,
        healthTimeoutMs: service.service.gitdock.healthTimeoutMs,
        probe: service.service.gitdock.probe,
        monitorMs: service.service.updateConfig.monitorMs,
      });
    }
  }
  return { services, objects };
}

function withoutCommit(body: JsonObject): JsonObject {
  const labels = { ...(body["Labels"] as Record<string, string>) };
  delete labels[LABEL.commit];
  return { ...body, Labels: labels };
}

function keyedHash(hostKey: Buffer, what: string, value: unknown): string {
  return createHmac("sha256", hostKey).update(`gitdock-swarm-${what}\0`).update(canonicalJson(value)).digest("hex");
}

/**
 * The service's hash on the service (what observe compares), its task template's on its tasks'
 * containers (how the gate tells the tasks of a new spec from the old: a change of replicas alone
 * keeps the tasks).
 */
function stampHashes(body: JsonObject, specHash: string, taskHash: string): JsonObject {
  const template = body["TaskTemplate"] as JsonObject;
  const container = template["ContainerSpec"] as JsonObject;
  return {
    ...body,
    Labels: { ...(body["Labels"] as Record<string, string>), [LABEL.specHash]: specHash },
    TaskTemplate: { ...template, ContainerSpec: { ...container, Labels: { ...(container["Labels"] as Record<string, string>), [LABEL.taskHash]: taskHash } } },
  };
}
