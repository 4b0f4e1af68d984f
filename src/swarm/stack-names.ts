/**
 * How gitdock names and labels a stack's Swarm objects: as `docker stack deploy` does
 * (`<project>_<service>`, `com.docker.stack.namespace`), so `docker stack ls`, `docker stack ps` and
 * `docker service ls` show gitdock's stacks. gitdock's own labels (src/labels.ts) say who owns them.
 */
import { LABEL } from "../labels.js";

/** The Swarm service of `<project>`'s `<service>`. */
export function swarmServiceName(project: string, service: string): string {
  return `${project}_${service}`;
}

/** A secret's or config's name: the stack's key and a digest of its content, so new content is a new object (a rotation). */
export function contentObjectName(project: string, key: string, digest: string): string {
  return `${project}_${key}_${digest.slice(0, 12)}`;
}

/** Every label that marks an object as this agent's, for one stack. */
export function ownerLabels(project: string, agentId: string): Record<string, string> {
  return { [LABEL.stackNamespace]: project, [LABEL.composeProject]: project, [LABEL.managed]: "true", [LABEL.agent]: agentId };
}

export function isOwnedBy(labels: Record<string, string> | undefined, agentId: string): boolean {
  return labels?.[LABEL.managed] === "true" && labels[LABEL.agent] === agentId;
}
