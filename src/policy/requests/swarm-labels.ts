import { LABEL } from "../../labels.js";
import type { RequestScope } from "./request-scope.js";
import { describe, finding, isObject, type Finding, type Judge } from "./walk-fields.js";

/**
 * Labels of the Swarm objects gitdock creates (services, their containers, secrets, configs).
 * Any label is free except the keys gitdock and `docker stack` read to find a stack's objects: a
 * commit that set them could hide a service from gitdock, or slip one into another stack's
 * namespace (`docker stack rm other` would then remove it, gitdock's pass for `other` adopt it).
 * The manifest stage refuses these keys in the Compose file (rules/check-reserved-labels.ts);
 * here, on what reaches the Engine, each reserved key must be one gitdock declares
 * (src/labels.ts) and the identity ones must name this stack and this agent.
 */

/** `docker stack deploy` records the image as written on each container spec. */
const STACK_IMAGE_LABEL = "com.docker.stack.image";

const RESERVED_PREFIXES = ["gitdock.", "com.docker.compose.", "com.docker.stack."];
const GITDOCK_KEYS: ReadonlySet<string> = new Set([...Object.values(LABEL), STACK_IMAGE_LABEL]);

export const swarmLabels: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected a map of labels, got ${describe(value)}`);
  return Object.entries(value).flatMap(([key, v]) => reservedLabel(key, v, `${field}.${key}`, scope));
};

function reservedLabel(key: string, value: unknown, field: string, scope: RequestScope): Finding[] {
  if (!RESERVED_PREFIXES.some((p) => key.startsWith(p))) return [];
  if (!GITDOCK_KEYS.has(key))
    return finding(field, `label ${key} is reserved: gitdock and docker stack set these labels themselves, and ${key} is not one of them`);
  const expected = expectedValue(key, scope);
  if (expected === undefined || value === expected) return [];
  return finding(
    field,
    `label ${key} is ${describe(value)}, but gitdock sets it to ${describe(expected)} for stack ${scope.project}: it cannot be set by a commit`,
  );
}

/** The value an identity label must have; undefined when any value gitdock computes is fine (a commit id, a hash). */
function expectedValue(key: string, scope: RequestScope): string | undefined {
  if (key === LABEL.stackNamespace || key === LABEL.composeProject) return scope.project;
  if (key === LABEL.managed) return "true";
  if (key === LABEL.agent) return scope.agentId;
  return undefined;
}
