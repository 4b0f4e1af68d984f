/**
 * After a commit is recorded good: the services it no longer has are removed, then the secrets and
 * configs of this agent that no service mounts any more (older contents, kept until now so the last
 * good spec could be restored). Never fails the release: what could not go is tried after the next one.
 */
import type Docker from "dockerode";
import type { Logger } from "../log.js";
import type { ServicePlan } from "../plan/index.js";
import { isOwnedBy } from "./stack-names.js";

export async function finishSwarmRollout(plan: ServicePlan, ctx: { docker: Docker; agentId: string; log: Logger }): Promise<void> {
  for (const a of plan.actions.filter((x) => x.kind === "remove")) {
    await attempt(ctx.log, `removing service ${a.name}`, () => ctx.docker.getService(a.name).remove());
  }
  // Only an update or a removal can leave a secret or config unused: a plan that only created has nothing to clean.
  if (plan.actions.some((a) => a.kind === "update" || a.kind === "remove"))
    await attempt(ctx.log, "removing unused secrets and configs", () => removeUnusedObjects(ctx.docker, ctx.agentId));
}

async function removeUnusedObjects(docker: Docker, agentId: string): Promise<void> {
  const services = await docker.listServices();
  const used = new Set<string>();
  for (const s of services) {
    const container = (s.Spec?.TaskTemplate as { ContainerSpec?: { Secrets?: { SecretID?: string }[]; Configs?: { ConfigID?: string }[] } } | undefined)
      ?.ContainerSpec;
    for (const x of container?.Secrets ?? []) if (x.SecretID) used.add(x.SecretID);
    for (const x of container?.Configs ?? []) if (x.ConfigID) used.add(x.ConfigID);
  }
  for (const s of await docker.listSecrets()) if (isOwnedBy(s.Spec?.Labels, agentId) && !used.has(s.ID)) await docker.getSecret(s.ID).remove();
  for (const c of await docker.listConfigs()) if (isOwnedBy(c.Spec?.Labels, agentId) && !used.has(c.ID)) await docker.getConfig(c.ID).remove();
}

async function attempt(log: Logger, what: string, f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (err) {
    log.warn({ stage: "cleanup", err: String(err) }, `${what} failed; tried again after the next rollout`);
  }
}
