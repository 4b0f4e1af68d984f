import { ApplyFailedError, GitdockError, HealthGateFailedError, describeError } from "../errors.js";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { gateFailedError } from "../health/index.js";
import type { ContainerAction, Plan, ResolvedService, ResolvedStack } from "../plan/types.js";
import { redactedExcerpt } from "../untrusted/index.js";
import { containerConfig } from "./container-config.js";
import { createAndStart } from "./container-ops.js";
import { pullImages } from "./pull-images.js";
import { recordStep } from "./record-step.js";
import { inPhase } from "./rollout-phase.js";
import { pullRequests } from "./pull-requests.js";
import { batchFailed } from "./batch-outcome.js";
import { warnUnsent } from "./warn-unsent.js";
import { guardBindSources, withStoreRoots } from "./host-bind-sources.js";
import { localBindDevice } from "../policy/host-paths.js";
import { networkCreateBody, volumeCreateBody } from "./resource-config.js";
import { removeIfPresent, retire, stopQuietly } from "./retain.js";
import { RolloutLog, type RolloutStep } from "./rollout-log.js";
import { runBounded } from "./run-bounded.js";
import { runInDependencyOrder, type DependencyTask } from "./run-in-dependency-order.js";
import { createsBeforeJobs } from "./job-order.js";
import { runJobs } from "./run-jobs.js";

import type { ApplyContext, ApplyResult } from "./apply-context.js";

export type { ApplyContext, ApplyEvent, ApplyResult, GateTarget } from "./apply-context.js";

/** A rollout that stopped part way. Carries the log so the caller can roll it back. */
export class RolloutFailedError extends GitdockError {
  readonly code = "GITDOCK_E_ROLLOUT_FAILED";
  readonly handling = "rollback";
  constructor(
    message: string,
    readonly log: RolloutLog,
    readonly failure: unknown,
    /** `failure_action: pause`: keep what was rolled out, do not roll back. */
    readonly pause: boolean,
  ) {
    super(message, { cause: failure, hint: (failure as GitdockError).hint });
  }
}

/**
 * Carry out a plan, in this order: pull everything (a failed pull changes nothing); create networks
 * and volumes; create and replace in `depends_on` order, each new container passing its health gate
 * before the next batch; then retire what left the manifest (only a container holding a host port
 * the commit needs goes before the creates). Replaced and removed containers are kept (stopped,
 * renamed) in the returned log until the caller finalizes (removes them, then unused images) or
 * rolls back.
 */
export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  if (plan.blockers.length) {
    throw new ApplyFailedError(`the plan cannot be applied:\n  ${plan.blockers.join("\n  ")}`, { data: { blockers: plan.blockers } });
  }
  ctx.log.info({ commit: plan.commit, stage: "apply", images: plan.images.length }, "pulling images");
  const pulled = await pullImages(ctx.docker, pullRequests(plan, ctx.desired), ctx.auths, ctx.concurrency);
  await ctx.onPulled?.(pulled);
  const log = new RolloutLog();
  try {
    await createVolumesAndNetworks(plan, ctx);
    // Pre-deploy jobs run before the first container is replaced (after what they need that is missing).
    const early = createsBeforeJobs(plan.actions, plan.jobs ?? [], ctx.desired);
    if (early.length) await rollOutServices({ ...plan, actions: early }, ctx, log);
    await runJobs("pre-deploy", plan, ctx, log);
    // Removals wait until every new container passed its gate; only those in the way go first.
    const [blocking, removals] = partition(
      plan.actions.filter((a) => a.kind === "remove"),
      (a) => a.beforeCreates === true,
    );
    await runBounded(blocking, ctx.concurrency, (a) => step(ctx, a, "remove", () => retireContainer(ctx, log, a)));
    await rollOutServices(early.length ? { ...plan, actions: plan.actions.filter((a) => !early.includes(a)) } : plan, ctx, log);
    // Post-deploy jobs once every new container passed its gate: a failure rolls the release back.
    await runJobs("post-deploy", plan, ctx, log);
    // Best effort once the commit is healthy: a removal the Engine refuses is tried again next pass,
    // it never rolls back a release that passed its gates.
    await runBounded(removals, ctx.concurrency, (a) => step(ctx, a, "remove", () => retireContainer(ctx, log, a)).catch(() => undefined));
  } catch (err) {
    const pause = err instanceof HealthGateFailedError && err.data.failureAction === "pause";
    throw new RolloutFailedError(describeError(err), log, err, pause);
  }
  return { pulled, changed: plan.actions.filter((a) => a.kind !== "unchanged" && a.kind !== "conflict").length + (plan.jobs?.length ?? 0), log };
}

/**
 * After the whole commit is healthy and recorded good: remove the retained previous containers and
 * unused networks. Best effort: a container the Engine will not remove now stays, stopped, and the
 * next pass removes it (see rollback/clean-up-leftovers); it never fails a healthy rollout.
 */
export async function finalizeRollout(plan: Plan, ctx: ApplyContext, log: RolloutLog): Promise<void> {
  for (const s of log.retained()) {
    const base = { commit: plan.commit, stack: s.project, service: s.service, container: s.retainedName, action: "remove-previous" };
    try {
      await removeIfPresent(ctx.docker, s.retainedName as string);
      await ctx.record({ ...base, outcome: "ok" });
    } catch (err) {
      ctx.log.warn({ ...base, err: describeError(err) }, `kept ${s.retainedName} for now; the next pass removes it`);
      await ctx.record({ ...base, outcome: "failed", error: describeError(err) });
    }
  }
  await removeUnusedNetworks(plan, ctx);
}

async function rollOutServices(plan: Plan, ctx: ApplyContext, log: RolloutLog): Promise<void> {
  const stop = new AbortController();
  const tasks: DependencyTask[] = [];
  for (const stack of ctx.desired.stacks) {
    for (const svc of stack.services) {
      const actions = plan.actions.filter((a) => a.project === svc.project && a.service === svc.service.name && (a.kind === "create" || a.kind === "replace"));
      if (!actions.length) continue;
      tasks.push({
        key: `${svc.project}/${svc.service.name}`,
        deps: svc.service.dependsOn.map((d) => `${svc.project}/${d.service}`),
        run: () => rollOutService(ctx, stack, svc, actions, log, stop),
      });
    }
  }
  const { failed, skipped } = await runInDependencyOrder(tasks, ctx.concurrency);
  if (!failed.size && !skipped.length) return;
  const first = [...failed.values()].find((e) => e instanceof HealthGateFailedError) ?? [...failed.values()][0];
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- what a task threw, rethrown as it came
  if (first) throw first;
  throw new ApplyFailedError(`rollout stopped before ${skipped.join(", ")}`);
}

/**
 * One service: its replicas in batches of `update_config.parallelism`, each batch gated before the
 * next, with `delay` between batches. A batch fails when more of its new containers fail their gate
 * than `max_failure_ratio` tolerates (default: any); a failed batch stops every other service's
 * rollout too, unless `failure_action: continue`. Any other error stops everything at once.
 */
async function rollOutService(
  ctx: ApplyContext,
  stack: ResolvedStack,
  svc: ResolvedService,
  actions: ContainerAction[],
  log: RolloutLog,
  stop: AbortController,
): Promise<void> {
  const { parallelism, delayMs } = svc.service.updateConfig;
  warnUnsent(ctx.log, svc.project, svc.service);
  for (let i = 0; i < actions.length; i += parallelism) {
    if (stop.signal.aborted || ctx.signal?.aborted) throw new ApplyFailedError("rollout interrupted");
    await rollOutBatch(ctx, svc, actions.slice(i, i + parallelism), stop, (a) => upsertReplica(ctx, stack, svc, a, log, stop.signal));
    if (delayMs && i + parallelism < actions.length) await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** One batch, all at once. Stops the rollout as soon as the batch has failed, so the others' gates end promptly. */
async function rollOutBatch(
  ctx: ApplyContext,
  svc: ResolvedService,
  batch: ContainerAction[],
  stop: AbortController,
  replace: (a: ContainerAction) => Promise<void>,
): Promise<void> {
  const { failureAction, maxFailureRatio = 0 } = svc.service.updateConfig;
  const gateFailures: HealthGateFailedError[] = [];
  let other: unknown;
  await Promise.all(
    batch.map((a) =>
      step(ctx, a, a.kind, () => replace(a)).catch((err: unknown) => {
        if (!(err instanceof HealthGateFailedError)) {
          other ??= err;
          stop.abort();
          return;
        }
        gateFailures.push(err);
        if (failureAction !== "continue" && batchFailed(gateFailures.length, batch.length, maxFailureRatio)) stop.abort();
      }),
    ),
  );
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the batch threw besides a gate failure, rethrown as it came
  if (other !== undefined) throw other;
  const [first] = gateFailures;
  if (!first) return;
  const fields = {
    commit: ctx.desired.commit,
    stack: svc.project,
    service: svc.service.name,
    failed: gateFailures.length,
    batch: batch.length,
    maxFailureRatio,
  };
  if (!batchFailed(gateFailures.length, batch.length, maxFailureRatio)) {
    ctx.log.warn(
      fields,
      `${gateFailures.length} of ${batch.length} new containers of ${svc.project}/${svc.service.name} failed their health gate, within max_failure_ratio ${maxFailureRatio}; the rollout goes on`,
    );
    return;
  }
  if (failureAction !== "continue") throw first;
}

async function upsertReplica(
  ctx: ApplyContext,
  stack: ResolvedStack,
  svc: ResolvedService,
  a: ContainerAction,
  log: RolloutLog,
  signal: AbortSignal,
): Promise<void> {
  const startFirst = svc.service.updateConfig.order === "start-first";
  const grace = graceSeconds(svc.spec.stopGracePeriodMs);
  const s = log.add({ project: a.project, service: a.service, name: a.container });
  const fields = { commit: ctx.desired.commit, stack: a.project, service: a.service, container: a.container };
  if (a.kind === "replace" && a.containerId) {
    s.retainedName = await inPhase("retire", () => retire(ctx.docker, a.containerId as string, a.container, { stop: !startFirst, graceSeconds: grace }));
    ctx.log.info({ ...fields, step: "retired", retained: s.retainedName }, `kept the previous ${a.container} as ${s.retainedName}`);
  }
  const config = containerConfig({ stack: stack.stack, service: svc, number: a.number, commit: ctx.desired.commit, agentId: ctx.agentId });
  s.newId = await createAndStart(
    ctx.docker,
    config,
    svc.spec.mounts,
    withStoreRoots(ctx.bindRoots, [...(stack.stack.storeObjects ?? []), ...(stack.stack.decryptedFiles ?? [])]),
  );
  ctx.log.info({ ...fields, step: "started", stage: "health" }, `started ${a.container}; waiting for its health gate`);
  const result = await ctx.gate({ containerId: s.newId, name: a.container, service: svc }, signal);
  if (!result.ok) throw gateFailedError(result, { data: { failureAction: svc.service.updateConfig.failureAction } });
  // start-first: the old container served until now; it waits, stopped, until the commit is healthy.
  if (startFirst && s.retainedName) await inPhase("retire", () => stopQuietly(ctx.docker.getContainer(s.retainedName as string), grace));
}

async function retireContainer(ctx: ApplyContext, log: RolloutLog, a: ContainerAction): Promise<void> {
  if (!a.containerId) return;
  const s: RolloutStep = log.add({ project: a.project, service: a.service, name: a.container });
  s.retainedName = await inPhase("retire", () => retire(ctx.docker, a.containerId as string, a.container, { stop: true, graceSeconds: undefined }));
}

/**
 * Run one container action, log it and record its outcome; rethrow so dependents are held back.
 * The journal gets the error in gitdock's words; what the container said (the error's `excerpt`)
 * goes only to the local log, redacted with the service's values.
 */
async function step(ctx: ApplyContext, a: ContainerAction, action: string, work: () => Promise<void>): Promise<void> {
  const base = { commit: ctx.desired.commit, stack: a.project, service: a.service, container: a.container, action, reason: a.reasons.join("; ") };
  try {
    await work();
  } catch (err) {
    const excerpt = await failureExcerpt(ctx, a, err);
    ctx.log.error({ ...base, outcome: "failed", err: describeError(err), ...(excerpt ? { excerpt } : {}) }, `${action} ${a.container} failed`);
    await recordStep(ctx.record, ctx.log, { ...base, outcome: "failed", error: describeError(err) }, "rollout");
    throw err;
  }
  ctx.log.info({ ...base, outcome: "ok" }, `${action} ${a.container}`);
  await recordStep(ctx.record, ctx.log, { ...base, outcome: "ok" }, "rollout");
}

/** The redacted excerpt of what the container said about its failure, if it said anything; listeners are told. */
async function failureExcerpt(ctx: ApplyContext, a: ContainerAction, err: unknown): Promise<string | undefined> {
  if (!(err instanceof GitdockError) || !err.excerpt) return undefined;
  const svc = ctx.desired.stacks.flatMap((st) => st.services).find((s) => s.project === a.project && s.service.name === a.service);
  const excerpt = await redactedExcerpt(err.excerpt, svc?.spec);
  if (excerpt === undefined) return undefined;
  const failure = err.message.split("\n")[0] ?? "";
  ctx.onFailureOutput?.({ at: new Date().toISOString(), commit: ctx.desired.commit, container: a.container, failure, excerpt });
  return excerpt;
}

async function createVolumesAndNetworks(plan: Plan, ctx: ApplyContext): Promise<void> {
  for (const { project, volume } of plan.volumesToCreate) {
    const body = volumeCreateBody(project, volume, ctx.agentId);
    const device = localBindDevice(body.Driver, body.DriverOpts);
    if (device) await guardBindSources([{ source: device, readOnly: false, create: false }], ctx.bindRoots, `creating volume ${volume.name}`);
    await ctx.docker.createVolume(body).catch((err: unknown) => {
      throw engineError(err, `creating volume ${volume.name}`);
    });
    await ctx.record({ commit: plan.commit, stack: project, action: "create-volume", reason: volume.name, outcome: "ok" });
  }
  for (const { project, network } of plan.networksToCreate) {
    await ctx.docker.createNetwork(networkCreateBody(project, network, ctx.agentId)).catch((err: unknown) => {
      if (engineStatus(err) !== 409) throw engineError(err, `creating network ${network.name}`);
    });
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

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((i) => !test(i))];
}

function graceSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}
