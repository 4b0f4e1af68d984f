/**
 * One pass of the agent loop: the sync windows' verdict, the state directory's lock, one
 * `reconcile`, then metrics, status and one summary log line, all recorded in one place whether
 * the pass succeeded or threw. Never throws: a failed pass is a record with an error.
 */
import { GitdockError, StateError } from "../errors.js";
import type { Logger } from "../log.js";
import { observeContainers } from "../observe/index.js";
import type { ContainerAction } from "../plan/index.js";
import { reconcile, type ReconcileContext, type ReconcileResult } from "../reconcile/reconcile.js";
import { acquireLock, type HostState, type Release } from "../state/index.js";
import type { FailureOutput } from "../untrusted/index.js";
import { passResultOf, summarize, type AgentStatus, type PassError, type PassRecord } from "./agent-status.js";
import type { Metrics } from "./metrics.js";
import { describeTriggers, isManualPass, type Trigger } from "./pass-scheduler.js";
import { RepairBudget } from "./repair-budget.js";
import { serviceGauges } from "./service-gauges.js";
import { decideWindows } from "./sync-windows.js";

/** What a pass reads and updates; owned by run-agent.ts, swapped on reload. */
export interface PassDeps {
  ctx: ReconcileContext;
  metrics: Metrics;
  budget: RepairBudget;
  status: AgentStatus;
  /** Aborted on SIGTERM: a pass still waiting for the lock gives up. */
  stopping: AbortSignal;
}

export async function runPass(deps: PassDeps, triggers: readonly Trigger[], number: number): Promise<PassRecord> {
  const log = deps.ctx.log.child({ pass: number });
  const ctx: ReconcileContext = { ...deps.ctx, log, onFailureOutput: (f) => rememberFailureOutput(deps, f) };
  const started = new Date();
  const manual = isManualPass(triggers);
  const windows = decideWindows(ctx.settings.agent.syncWindows, started, { manual });
  deps.status.windows = { newCommits: windows.newCommits, driftRepair: windows.driftRepair, reason: windows.reason };
  const holdTarget = windows.newCommits === "waiting" ? { reason: windows.reason } : undefined;
  // A window that holds commits back and turns drift repair off leaves the host alone: plan only.
  const dryRun = holdTarget !== undefined && !windows.driftRepair;
  log.info(
    { stage: "start", triggers: describeTriggers(triggers), detail: details(triggers), windows: windows.reason, dryRun },
    `reconcile pass #${number} (${describeTriggers(triggers)})`,
  );
  deps.status.phase = "reconciling";
  let result: ReconcileResult | undefined;
  let error: unknown;
  let before: HostState | undefined;
  try {
    before = await ctx.store.read();
    const release = await takeLock(ctx.settings.stateDir, deps.stopping, log);
    try {
      result = await reconcile(ctx, { dryRun, holdTarget, allowRepair: allowRepair(deps, log) });
    } finally {
      await release();
    }
  } catch (err) {
    error = err;
  }
  const finished = new Date();
  const seconds = (finished.getTime() - started.getTime()) / 1000;
  const record: PassRecord = {
    number,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    triggers: describeTriggers(triggers),
    result: result ? passResultOf(result.outcome, result.conflicts) : "error",
    summary: result ? summarize(result) : undefined,
    error: error === undefined ? undefined : describePassError(error),
  };
  deps.metrics.reconcileFinished(record.result, seconds, finished.getTime());
  if (error !== undefined) deps.metrics.reconcileFailed(error instanceof GitdockError ? error.code : "unknown");
  if (result) afterResult(deps, log, result, before);
  else
    log.error(
      { stage: "done", err: record.error, durationMs: Math.round(seconds * 1000) },
      `reconcile pass #${number} failed: ${record.error?.message.split("\n")[0]}; retrying with backoff`,
    );
  await refreshGauges(deps, ctx, result);
  deps.status.lastPass = record;
  if (record.result === "ok" || record.result === "waiting") deps.status.lastSuccessAt = record.finishedAt;
  deps.status.consecutiveErrors = record.result === "error" && error !== undefined ? deps.status.consecutiveErrors + 1 : 0;
  deps.status.suppressedRepairs = deps.budget.suppressed();
  deps.status.phase = deps.stopping.aborted ? "stopping" : "idle";
  return record;
}

function afterResult(deps: PassDeps, log: Logger, r: ReconcileResult, before: HostState | undefined): void {
  const lastGood = before?.lastGood?.commit;
  deps.status.waitingCommit = r.outcome === "waiting" ? r.target : undefined;
  deps.status.waitingReason = r.outcome === "waiting" ? r.reason : undefined;
  deps.status.recheckAt = r.recheckAt !== undefined ? new Date(r.recheckAt).toISOString() : undefined;
  deps.metrics.setFleetWave(r.target, r.wave);
  if (r.outcome === "synced" && r.commit !== undefined && r.commit !== lastGood) {
    // A new commit is running: every service starts with a fresh repair budget.
    deps.budget = new RepairBudget({ max: deps.budget.max, windowMs: deps.budget.windowMs });
  } else if (r.changed > 0 && r.commit !== undefined && r.commit === lastGood) {
    for (const a of r.plan?.actions ?? []) {
      if (!isRepair(a)) continue;
      const reason = reasonLabel(a.reasons[0]);
      deps.metrics.driftRepaired(reason);
      log.info(
        { stage: "repair", commit: r.commit, stack: a.project, service: a.service, container: a.container, action: a.kind, reason: a.reasons.join("; ") },
        `drift repaired: ${a.kind} ${a.container}`,
      );
    }
  }
  const fields = {
    stage: "done",
    outcome: r.outcome,
    target: r.target,
    commit: r.commit,
    changed: r.changed,
    reason: r.reason?.split("\n")[0],
    conflicts: r.conflicts.length ? r.conflicts : undefined,
    suppressed: r.suppressed,
  };
  const message = `pass done: ${r.outcome} ${r.target.slice(0, 12)}${r.changed ? `, ${r.changed} change(s)` : ""}`;
  if (r.outcome === "synced" && !r.conflicts.length) log.info(fields, message);
  else log.warn(fields, message);
}

/** The last container failure with output, redacted, for `gitdock status`: in memory only, never recorded. */
function rememberFailureOutput(deps: PassDeps, f: FailureOutput): void {
  deps.status.lastFailureOutput = f;
  deps.ctx.onFailureOutput?.(f);
}

function allowRepair(deps: PassDeps, log: Logger): (stack: string, service: string) => boolean {
  return (stack, service) => {
    const key = `${stack}/${service}`;
    if (deps.budget.allow(key, Date.now())) return true;
    deps.metrics.repairSuppressed(stack, service);
    log.warn(
      { stage: "repair", stack, service, reason: `more than ${deps.budget.max} repairs within ${deps.budget.windowMs / 1000}s` },
      `repair budget of ${key} used up; not repairing it now`,
    );
    return false;
  };
}

/** The per-service gauges come from the pass's own snapshot when it changed nothing, else from a fresh list. */
async function refreshGauges(deps: PassDeps, ctx: ReconcileContext, result: ReconcileResult | undefined): Promise<void> {
  try {
    const state = await ctx.store.read();
    deps.metrics.setAppliedCommit(state.lastApplied?.commit);
    deps.metrics.setLastGoodCommit(state.lastGood?.commit);
    deps.metrics.setLastGoodBlocked(state.halted !== undefined);
    const containers = result?.unchangedHost?.containers ?? (await observeContainers(ctx.docker, ctx.settings.hostId));
    deps.metrics.setServices(serviceGauges(containers));
  } catch {
    // Engine or state unreadable: the gauges keep their last values; the pass's error says why.
  }
}

/**
 * Wait for another gitdock (a `gitdock sync` by hand) to finish its reconcile. Gives up when the
 * agent is told to stop.
 */
async function takeLock(stateDir: string, stopping: AbortSignal, log: Logger): Promise<Release> {
  let told = false;
  for (;;) {
    try {
      return await acquireLock(stateDir, { wait: true, timeoutMs: 1_000 });
    } catch (err) {
      if (!(err instanceof StateError) || err.data["pid"] === undefined) throw err;
      if (stopping.aborted) throw new StateError("shutting down while waiting for another gitdock's reconcile to end", { cause: err });
      if (!told) log.info({ stage: "lock", pid: err.data["pid"] }, "waiting for another gitdock's reconcile to end");
      told = true;
    }
  }
}

function isRepair(a: ContainerAction): boolean {
  return a.kind === "create" || a.kind === "replace" || a.kind === "remove";
}

/** `config changed: environment, ports` → `config changed`: a label with few values. */
function reasonLabel(reason: string | undefined): string {
  return (reason ?? "unknown").split(":")[0]!.trim() || "unknown";
}

function details(triggers: readonly Trigger[]): string[] | undefined {
  const d = triggers.map((t) => t.detail).filter((x): x is string => x !== undefined);
  return d.length ? d.slice(0, 10) : undefined;
}

export function describePassError(err: unknown): PassError {
  if (err instanceof GitdockError) return { code: err.code, handling: err.handling, message: err.message, hint: err.hint };
  return { code: undefined, handling: undefined, message: err instanceof Error ? err.message : String(err), hint: undefined };
}
