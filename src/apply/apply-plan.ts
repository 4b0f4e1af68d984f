import type Docker from "dockerode";
import { ApplyFailedError, describeError } from "../errors.js";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { LABEL } from "../labels.js";
import type { Logger } from "../log.js";
import type { ContainerAction, Plan, ResolvedState, ResolvedStack } from "../plan/types.js";
import { containerConfig } from "./container-config.js";
import { createAndStart, stopAndRemove } from "./container-ops.js";
import { pullImages } from "./pull-images.js";
import type { RegistryAuths } from "./registry-auth.js";
import { runBounded } from "./run-bounded.js";
import { runInDependencyOrder, type DependencyTask } from "./run-in-dependency-order.js";

/** One thing apply did, for the journal and the log. Never carries environment values. */
export interface ApplyEvent {
  commit: string;
  stack: string;
  service?: string;
  container?: string;
  action: string;
  reason?: string;
  outcome: "ok" | "failed";
  error?: string;
}

export interface ApplyContext {
  docker: Docker;
  agentId: string;
  desired: ResolvedState;
  auths: RegistryAuths;
  log: Logger;
  record: (e: ApplyEvent) => Promise<void>;
  /** Engine calls in flight at once (pulls, creates). */
  concurrency: number;
}

export interface ApplyResult {
  pulled: string[];
  changed: number;
}

/**
 * Carry out a plan: pull everything first (a failed pull changes nothing), then volumes and networks,
 * then prune what left the manifest, then create and replace in `depends_on` order, then remove
 * networks gitdock created that are now unused.
 */
export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  if (plan.blockers.length) {
    throw new ApplyFailedError(`the plan cannot be applied:\n  ${plan.blockers.join("\n  ")}`, { data: { blockers: plan.blockers } });
  }
  ctx.log.info({ commit: plan.commit, stage: "apply", images: plan.images.length }, "pulling images");
  const pulled = await pullImages(ctx.docker, plan.images, ctx.auths, ctx.concurrency);
  await createVolumesAndNetworks(plan, ctx);

  const prunes = plan.actions.filter((a) => a.kind === "remove");
  await runBounded(prunes, ctx.concurrency, (a) => step(ctx, a, "remove", () => removeContainer(ctx, a)));

  const failures = await rollOutServices(plan, ctx);
  await removeUnusedNetworks(plan, ctx);
  if (failures.length) {
    throw new ApplyFailedError(`apply of ${plan.commit.slice(0, 12)} failed:\n  ${failures.join("\n  ")}`, { data: { failures } });
  }
  return { pulled, changed: plan.actions.filter((a) => a.kind !== "unchanged" && a.kind !== "conflict").length };
}

async function rollOutServices(plan: Plan, ctx: ApplyContext): Promise<string[]> {
  const tasks: DependencyTask[] = [];
  for (const stack of ctx.desired.stacks) {
    for (const svc of stack.services) {
      const actions = plan.actions.filter(
        (a) => a.project === svc.project && a.service === svc.service.name && (a.kind === "create" || a.kind === "replace"),
      );
      if (!actions.length) continue;
      tasks.push({
        key: `${svc.project}/${svc.service.name}`,
        deps: svc.service.dependsOn.map((d) => `${svc.project}/${d.service}`),
        run: () => runBounded(actions, ctx.concurrency, (a) => step(ctx, a, a.kind, () => upsertContainer(ctx, stack, a))),
      });
    }
  }
  const { failed, skipped } = await runInDependencyOrder(tasks, ctx.concurrency);
  return [
    ...[...failed].map(([key, err]) => `${key}: ${describeError(err)}`),
    ...skipped.map((key) => `${key}: not started because a service it depends on failed`),
  ];
}

async function upsertContainer(ctx: ApplyContext, stack: ResolvedStack, a: ContainerAction): Promise<void> {
  const service = stack.services.find((s) => s.service.name === a.service);
  if (!service) throw new Error(`bug: no desired service for ${a.container}`);
  if (a.kind === "replace" && a.containerId) await stopAndRemove(ctx.docker, a.containerId, graceSeconds(service.spec.stopGracePeriodMs));
  const config = containerConfig({ stack: stack.stack, service, number: a.number, commit: ctx.desired.commit, agentId: ctx.agentId });
  await createAndStart(ctx.docker, config, service.spec.mounts);
}

async function removeContainer(ctx: ApplyContext, a: ContainerAction): Promise<void> {
  if (a.containerId) await stopAndRemove(ctx.docker, a.containerId, undefined);
}

/** Run one container action, log it and record its outcome; rethrow so dependents are held back. */
async function step(ctx: ApplyContext, a: ContainerAction, action: string, work: () => Promise<void>): Promise<void> {
  const base = { commit: ctx.desired.commit, stack: a.project, service: a.service, container: a.container, action, reason: a.reasons.join("; ") };
  try {
    await work();
    ctx.log.info({ ...base, outcome: "ok" }, `${action} ${a.container}`);
    await ctx.record({ ...base, outcome: "ok" });
  } catch (err) {
    ctx.log.error({ ...base, outcome: "failed", err: describeError(err) }, `${action} ${a.container} failed`);
    await ctx.record({ ...base, outcome: "failed", error: describeError(err) });
    throw err;
  }
}

async function createVolumesAndNetworks(plan: Plan, ctx: ApplyContext): Promise<void> {
  const owner = (project: string) => ({
    [LABEL.managed]: "true",
    [LABEL.agent]: ctx.agentId,
    [LABEL.composeProject]: project,
  });
  for (const { project, volume } of plan.volumesToCreate) {
    await ctx.docker
      .createVolume({ Name: volume.name, Driver: volume.driver ?? "local", DriverOpts: volume.driverOpts, Labels: { ...volume.labels, ...owner(project), [LABEL.composeVolume]: volume.key } })
      .catch((err: unknown) => { throw engineError(err, `creating volume ${volume.name}`); });
    await ctx.record({ commit: plan.commit, stack: project, action: "create-volume", reason: volume.name, outcome: "ok" });
  }
  for (const { project, network } of plan.networksToCreate) {
    await ctx.docker
      .createNetwork({
        Name: network.name, Driver: network.driver ?? "bridge", Options: network.driverOpts, Internal: network.internal,
        Attachable: network.attachable, CheckDuplicate: true,
        Labels: { ...network.labels, ...owner(project), [LABEL.composeNetwork]: network.key },
      })
      .catch((err: unknown) => { if (engineStatus(err) !== 409) throw engineError(err, `creating network ${network.name}`); });
    await ctx.record({ commit: plan.commit, stack: project, action: "create-network", reason: network.name, outcome: "ok" });
  }
}

/** A network still in use (by anyone) is kept; the next sync tries again. */
async function removeUnusedNetworks(plan: Plan, ctx: ApplyContext): Promise<void> {
  for (const name of plan.networksToRemove) {
    try {
      await ctx.docker.getNetwork(name).remove();
      await ctx.record({ commit: plan.commit, stack: "", action: "remove-network", reason: name, outcome: "ok" });
    } catch (err) {
      ctx.log.warn({ commit: plan.commit, network: name, err: describeError(err) }, "network kept: still in use");
    }
  }
}

function graceSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}
