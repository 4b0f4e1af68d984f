import { warnUnsent } from "../apply/warn-unsent.js";
import type { Logger } from "../log.js";
import type { DesiredStack } from "../model.js";
import type { ServicePlan } from "../plan/index.js";

/**
 * The keys the manifest accepted but a Swarm service is not sent (`DesiredService.unsent`: `expose`,
 * `restart: unless-stopped`, ...), said as on the container engine (warn-unsent.ts: once per service
 * and key in this process), for the services a rollout creates or updates: what is sent is when
 * the difference starts to matter.
 */
export function warnUnsentOnSwarm(log: Logger, stacks: readonly DesiredStack[], plan: ServicePlan): void {
  const sending = new Set(plan.actions.filter((a) => a.kind === "create" || a.kind === "update").map((a) => `${a.project}/${a.service}`));
  for (const stack of stacks)
    for (const service of stack.services) if (sending.has(`${stack.project}/${service.name}`)) warnUnsent(log, stack.project, service);
}
