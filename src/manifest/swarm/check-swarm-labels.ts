import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/**
 * On a Swarm, gitdock names a stack as `docker stack deploy` does (`com.docker.stack.namespace`),
 * and Swarm stamps its tasks' containers with `com.docker.swarm.*`: a manifest that set them could
 * hide a service or hijack another stack's. The service's own labels (`deploy.labels`) also carry
 * gitdock's and Compose's, which rules/check-reserved-labels.ts guards on the containers' labels.
 */
const SWARM_PREFIXES = ["com.docker.stack.", "com.docker.swarm."];
const SERVICE_PREFIXES = [...SWARM_PREFIXES, "gitdock.", "com.docker.compose."];

export function checkSwarmLabels(service: ServiceInput, problems: ProblemSink): void {
  reportReserved(["labels"], service.labels, SWARM_PREFIXES, problems);
  reportReserved(["deploy", "labels"], service.deploy?.labels, SERVICE_PREFIXES, problems);
}

function reportReserved(at: string[], labels: ServiceInput["labels"], prefixes: string[], problems: ProblemSink): void {
  for (const [key, where] of labelKeys(labels)) {
    if (prefixes.some((prefix) => key.startsWith(prefix))) {
      problems.report([...at, where], `"${key}" is reserved: gitdock and Swarm set these labels themselves`, "key");
    }
  }
}

/** Keys of `labels` in either form, each with where it is written (its key, or its index in a list of `KEY=VALUE` strings). */
function labelKeys(labels: ServiceInput["labels"]): [string, string | number][] {
  if (labels === undefined) return [];
  if (!Array.isArray(labels)) return Object.keys(labels).map((key) => [key, key]);
  return labels.map((entry, i) => [entry.split("=")[0] ?? entry, i]);
}
