import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/** Why a Swarm-only key is refused on plain containers (also the reason of Swarm's generic_resources there). */
export const SWARM_SETTING = "a Swarm setting; gitdock runs plain containers on one host";

const TO_DRIVE_A_SWARM = "set engine: swarm in the agent's config to drive a Swarm";

/** `deploy:` keys only a Swarm reads, with what to do instead on plain containers. */
const SWARM_ONLY_DEPLOY_KEYS: Record<string, string> = {
  mode: `${SWARM_SETTING}; ${TO_DRIVE_A_SWARM}`,
  placement: `${SWARM_SETTING}; ${TO_DRIVE_A_SWARM}`,
  endpoint_mode: `${SWARM_SETTING}; ${TO_DRIVE_A_SWARM}`,
  labels: `${SWARM_SETTING}; put labels on the service itself, or ${TO_DRIVE_A_SWARM}`,
};

/**
 * Under `engine: containers`, the Swarm-only `deploy:` keys the schema accepts (one schema serves
 * both engines, and the editors' JSON Schema) are problems, worded as when the schema refused them.
 */
export function refuseSwarmOnlyKeys(service: ServiceInput, problems: ProblemSink): void {
  const deploy = service.deploy;
  if (deploy === undefined) return;
  for (const [key, reason] of Object.entries(SWARM_ONLY_DEPLOY_KEYS)) {
    if (Object.hasOwn(deploy, key) && deploy[key as keyof typeof deploy] !== undefined) {
      problems.report(["deploy", key], `not supported by gitdock (${reason})`, "key");
    }
  }
}
