/**
 * Release jobs (`x-gitdock.job`) in a rollout: each a one-off container of the commit's image and
 * settings (the create request the host policy judged), run to completion within its `job_timeout`.
 * A job's previous run (its exited container, kept under the job's name) is retired like a replaced
 * container, so a rollback puts it back and the host keeps the record of the last run that counted.
 *
 * The journal records each run: `job started` before its container starts (a crash after it shows
 * a run that never finished), and `job ok` or `job failed` with its exit code and duration. Its
 * output goes only to the job's file under the state directory (job-output.ts), redacted, and a
 * failure's excerpt to the local log. A failed job throws HealthGateFailedError: the release fails.
 */
import { ApplyFailedError, HealthGateFailedError, describeError } from "../errors.js";
import { formatGateFailure, type GateResult } from "../health/index.js";
import type { JobPhase } from "../model.js";
import type { JobRun, Plan, ResolvedService, ResolvedStack } from "../plan/types.js";
import { redactedExcerpt } from "../untrusted/index.js";
import type { ApplyContext } from "./apply-context.js";
import { containerConfig } from "./container-config.js";
import { createAndStart } from "./container-ops.js";
import { withStoreRoots } from "./host-bind-sources.js";
import { jobsInOrder } from "./job-order.js";
import { jobOutputFile, saveJobOutput } from "./job-output.js";
import { recordStep } from "./record-step.js";
import { retire, stopQuietly } from "./retain.js";
import { inPhase } from "./rollout-phase.js";
import type { RolloutLog } from "./rollout-log.js";

/** Runs the plan's jobs of one phase, one after another in depends_on order; the first failure stops the rest and is thrown. */
export async function runJobs(phase: JobPhase, plan: Plan, ctx: ApplyContext, log: RolloutLog): Promise<void> {
  for (const job of jobsInOrder(plan.jobs ?? [], phase)) {
    if (ctx.signal?.aborted)
      throw new HealthGateFailedError(`${phase} job ${job.project}/${job.service} not run: the rollout was interrupted`, {
        data: { failureAction: "rollback" },
      });
    const where = ctx.desired.stacks.find((st) => st.stack.project === job.project);
    const svc = where?.services.find((s) => s.service.name === job.service);
    if (!where || !svc) throw new ApplyFailedError(`job ${job.project}/${job.service} is not in the desired state`);
    await runJob(ctx, where, svc, job, log);
  }
}

async function runJob(ctx: ApplyContext, stack: ResolvedStack, svc: ResolvedService, job: JobRun, log: RolloutLog): Promise<void> {
  const commit = ctx.desired.commit;
  const base = { commit, stack: job.project, service: job.service, container: job.container, action: "job" };
  const data = { phase: job.phase };
  const step = log.add({ project: job.project, service: job.service, name: job.container });
  const grace = svc.spec.stopGracePeriodMs === undefined ? undefined : Math.ceil(svc.spec.stopGracePeriodMs / 1000);
  if (job.containerId)
    step.retainedName = await inPhase("retire", () => retire(ctx.docker, job.containerId as string, job.container, { stop: true, graceSeconds: grace }));
  const config = containerConfig({ stack: stack.stack, service: svc, number: 1, commit, agentId: ctx.agentId });
  const started = Date.now();
  try {
    step.newId = await createAndStart(ctx.docker, config, svc.spec.mounts, withStoreRoots(ctx.bindRoots, stack.stack.storeObjects));
  } catch (err) {
    ctx.log.error({ ...base, outcome: "failed", err: describeError(err) }, `${job.phase} job ${job.container} could not start`);
    await recordStep(ctx.record, ctx.log, { ...base, outcome: "failed", error: describeError(err), data }, "rollout");
    throw err;
  }
  await recordStep(ctx.record, ctx.log, { ...base, outcome: "started", reason: job.reasons.join("; "), data }, "rollout");
  const timeoutMs = svc.service.gitdock.jobTimeoutMs ?? 0;
  ctx.log.info({ ...base, stage: "job", phase: job.phase, timeoutMs }, `started the ${job.phase} job ${job.container}; waiting for it to finish`);
  const result = await ctx.gate({ containerId: step.newId, name: job.container, service: svc }, new AbortController().signal);
  // A job past its time, or stopped by a shutdown, is stopped: what it printed until then is kept.
  if (!result.ok) await stopQuietly(ctx.docker.getContainer(step.newId), grace).catch(() => undefined);
  const durationMs = Date.now() - started;
  const output = await keepOutput(ctx, svc, job, step.newId, result, durationMs);
  const exitCode = result.ok ? 0 : result.failure.exitCode;
  const facts = { ...data, ...(exitCode === undefined ? {} : { exitCode }) };
  if (result.ok) {
    ctx.log.info({ ...base, stage: "job", outcome: "ok", exitCode, durationMs }, `${job.phase} job ${job.container} exited 0 after ${durationMs} ms`);
    await recordStep(ctx.record, ctx.log, { ...base, outcome: "ok", durationMs, data: facts }, "rollout");
    return;
  }
  const error = jobFailed(job, result, output.file, await redactedExcerpt(output.excerpt, svc.spec));
  ctx.log.error(
    { ...base, stage: "job", outcome: "failed", exitCode, durationMs, err: error.err.message, ...(error.shown ? { excerpt: error.shown } : {}) },
    `${job.phase} job ${job.container} failed`,
  );
  if (error.shown) ctx.onFailureOutput?.({ at: new Date().toISOString(), commit, container: job.container, failure: error.err.message, excerpt: error.shown });
  await recordStep(ctx.record, ctx.log, { ...base, outcome: "failed", durationMs, error: error.err.message, data: facts }, "rollout");
  throw error.err;
}

/** The job's output to its file; a failure to keep it is logged and never fails the job. */
async function keepOutput(ctx: ApplyContext, svc: ResolvedService, job: JobRun, containerId: string, result: GateResult, durationMs: number) {
  const file = jobOutputFile(ctx.jobOutputDir, job.project, job.service);
  const how = result.ok ? "exited 0" : formatGateFailure(result).slice(job.container.length + 2);
  const header = `${job.phase} job ${job.project}/${job.service}, commit ${ctx.desired.commit}, ${new Date().toISOString()}: ${how} after ${durationMs} ms`;
  try {
    return { file, excerpt: await saveJobOutput(ctx.docker, containerId, file, header, svc.spec) };
  } catch (err) {
    ctx.log.warn({ stage: "job", container: job.container, file, err: describeError(err) }, `could not keep the output of ${job.container}`);
    return { file: undefined, excerpt: undefined };
  }
}

function jobFailed(job: JobRun, result: Extract<GateResult, { ok: false }>, file: string | undefined, shown: string | undefined) {
  const where = file ? `Its output is in ${file} on this host (redacted). ` : "";
  const err = new HealthGateFailedError(`${job.phase} job ${job.project}/${job.service} failed: ${formatGateFailure(result)}`, {
    data: {
      container: job.container,
      check: result.failure.check,
      detail: result.failure.detail,
      failureAction: "rollback",
      job: job.phase,
      ...(result.failure.exitCode === undefined ? {} : { exitCode: result.failure.exitCode }),
    },
    hint: `${where}${job.phase === "pre-deploy" ? "Nothing was replaced. " : ""}Fix the job in Git and push a new commit, or run \`gitdock retry\` to try this commit again.`,
  });
  return { err, shown };
}
