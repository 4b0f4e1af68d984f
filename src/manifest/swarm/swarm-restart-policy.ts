import { parseComposeDurationMs } from "../../duration.js";
import type { SwarmDeploy, UnsentKey } from "../../model.js";
import type { ServiceInput } from "../schema/service-schema.js";

type RestartPolicy = SwarmDeploy["restartPolicy"];

/**
 * A Swarm task's restart policy (TaskTemplate.RestartPolicy): `deploy.restart_policy` whole, delay,
 * window and max_attempts included (Swarm honours them under every condition); else `restart:`
 * read the same way (no → none, always → any, on-failure[:N] → on-failure with N attempts); else
 * Swarm's default, condition any. A `restart:` that disagrees with the deploy form was reported by
 * normalize-restart.ts. Swarm has no "unless stopped": it is any, and said so.
 */
export function swarmRestartPolicy(service: ServiceInput): { policy: RestartPolicy; unsent: UnsentKey[] } {
  const deploy = service.deploy?.restart_policy;
  if (deploy !== undefined) {
    const policy: RestartPolicy = { condition: deploy.condition ?? "any" };
    const delayMs = deploy.delay === undefined ? undefined : parseComposeDurationMs(deploy.delay);
    if (delayMs !== undefined) policy.delayMs = delayMs;
    if (deploy.max_attempts !== undefined) policy.maxAttempts = deploy.max_attempts;
    const windowMs = deploy.window === undefined ? undefined : parseComposeDurationMs(deploy.window);
    if (windowMs !== undefined) policy.windowMs = windowMs;
    return { policy, unsent: [] };
  }
  return fromRestart(service.restart);
}

function fromRestart(restart: string | undefined): { policy: RestartPolicy; unsent: UnsentKey[] } {
  if (restart === undefined || restart === "always") return { policy: { condition: "any" }, unsent: [] };
  if (restart === "no") return { policy: { condition: "none" }, unsent: [] };
  if (restart === "unless-stopped") {
    return {
      policy: { condition: "any" },
      unsent: [{ key: "restart", reason: "Swarm has no unless-stopped: its tasks restart as with condition any (write deploy.restart_policy to say so)" }],
    };
  }
  const attempts = /^on-failure:(\d+)$/.exec(restart)?.[1];
  const policy: RestartPolicy = { condition: "on-failure" };
  if (attempts !== undefined && Number(attempts) > 0) policy.maxAttempts = Number(attempts);
  return { policy, unsent: [] };
}
