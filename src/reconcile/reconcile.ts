/**
 * One reconcile: source → manifest → observe → plan → apply, in that order, each stage its own
 * module. Everything that can reject a commit (fetch, validation, host inputs) finishes before the
 * first call that changes the host.
 */
import type Docker from "dockerode";
import { applyPlan } from "../apply/index.js";
import type { RegistryAuths } from "../apply/registry-auth.js";
import { GitdockError, ManifestInvalidError, describeError } from "../errors.js";
import type { Logger } from "../log.js";
import type { DesiredState } from "../model.js";
import { observeHost, resolveHostInputs } from "../observe/index.js";
import { hasChanges, makePlan, type Plan } from "../plan/index.js";
import type { Settings } from "../config/settings.js";
import { fetchTargetCommit, parseRepoLocation, type GitCredentials } from "../source/index.js";
import { isBlocked, markGood, markRejected, type Journal, type StateStore } from "../state/index.js";
import { loadDesiredState } from "./load-desired.js";

export interface ReconcileContext {
  settings: Settings;
  docker: Docker;
  log: Logger;
  store: StateStore;
  journal: Journal;
  hostKey: Buffer;
  auths: RegistryAuths;
  credentials: GitCredentials | undefined;
}

export type ReconcileOutcome =
  /** The host runs the target commit (nothing needed doing, or the plan was applied). */
  | "synced"
  /** The target commit is invalid; the host stays at its last good commit. */
  | "rejected"
  /** The target commit failed before (health gate) and is held back; the host stays at its last good commit. */
  | "held";

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  /** The branch head. */
  target: string;
  /** The commit the host was reconciled toward (the target, or the last good commit when the target is blocked). */
  commit: string | undefined;
  plan: Plan | undefined;
  changed: number;
  /** Why the target is rejected or held. */
  reason: string | undefined;
}

export async function reconcile(ctx: ReconcileContext, opts: { dryRun: boolean }): Promise<ReconcileResult> {
  const { settings, log } = ctx;
  log.info({ stage: "source", repo: settings.repo, branch: settings.branch }, "fetching");
  const source = await fetchTargetCommit({
    location: parseRepoLocation(settings.repo ?? ""),
    branch: settings.branch,
    stateDir: settings.stateDir,
    credentials: ctx.credentials,
  });
  const target = source.commit;
  const choice = await chooseDesired(ctx, source.gitdir, target, opts.dryRun);
  if (!choice.desired) {
    return { outcome: choice.outcome, target, commit: undefined, plan: undefined, changed: 0, reason: choice.reason };
  }
  const desired = choice.desired;
  log.info({ stage: "observe", commit: desired.commit }, "observing the host");
  const resolved = await resolveHostInputs(desired, ctx.hostKey);
  const host = await observeHost(ctx.docker, settings.hostId);
  const plan = makePlan(resolved, host);
  logPlanDecisions(log, plan);
  if (opts.dryRun) return { outcome: choice.outcome, target, commit: desired.commit, plan, changed: 0, reason: choice.reason };

  let changed = 0;
  if (hasChanges(plan)) {
    log.info({ stage: "apply", commit: desired.commit }, "applying");
    const result = await applyPlan(plan, {
      docker: ctx.docker,
      agentId: settings.hostId,
      desired: resolved,
      auths: ctx.auths,
      log,
      concurrency: settings.concurrency,
      record: async (e) => void (await ctx.journal.append({ ...e, ...(e.error ? { data: { error: e.error } } : {}) })),
    });
    changed = result.changed;
  }
  await recordSynced(ctx, desired.commit, choice.outcome === "synced", changed);
  return { outcome: choice.outcome, target, commit: desired.commit, plan, changed, reason: choice.reason };
}

interface DesiredChoice {
  outcome: ReconcileOutcome;
  desired: DesiredState | undefined;
  reason: string | undefined;
}

/**
 * The target commit, unless it is blocked (rejected or failed before, and no retry asked): then the
 * last good commit, so drift is still repaired but the bad commit is never applied by itself.
 */
async function chooseDesired(ctx: ReconcileContext, gitdir: string, target: string, dryRun: boolean): Promise<DesiredChoice> {
  const state = await ctx.store.read();
  const blocked = isBlocked(state, target);
  let outcome: ReconcileOutcome = "synced";
  let reason = blocked?.reason;
  if (blocked) {
    outcome = state.rejected[target] ? "rejected" : "held";
    ctx.log.warn({ stage: "manifest", commit: target, reason }, `commit ${target.slice(0, 12)} is ${outcome}; keeping the last good commit`);
  } else {
    ctx.log.info({ stage: "manifest", commit: target }, "validating");
    try {
      return { outcome, desired: await loadDesiredState(gitdir, target, ctx.settings.path), reason };
    } catch (err) {
      if (!(err instanceof ManifestInvalidError) || dryRun) throw err;
      outcome = "rejected";
      reason = err.message;
      await ctx.store.update((s) => markRejected(s, target, reason as string, new Date().toISOString()));
      await ctx.journal.append({ commit: target, action: "reject", reason, outcome: "rejected" });
      ctx.log.error({ stage: "manifest", commit: target, reason }, "commit rejected: invalid manifest; nothing changed");
    }
  }
  const lastGood = state.lastGood?.commit;
  if (!lastGood || lastGood === target) return { outcome, desired: undefined, reason };
  return { outcome, desired: await loadDesiredState(gitdir, lastGood, ctx.settings.path), reason };
}

async function recordSynced(ctx: ReconcileContext, commit: string, isTarget: boolean, changed: number): Promise<void> {
  const at = new Date().toISOString();
  await ctx.store.update((s) => {
    const next = { ...s, lastApplied: { commit, at } };
    return isTarget ? markGood(next, commit, at) : next;
  });
  if (changed) await ctx.journal.append({ commit, action: "sync", outcome: "ok", data: { changed } });
  ctx.log.info({ stage: "done", commit, changed }, changed ? `applied ${changed} change(s)` : "in sync");
}

function logPlanDecisions(log: Logger, plan: Plan): void {
  for (const a of plan.actions) {
    if (a.kind === "unchanged") continue;
    log.info(
      { stage: "plan", commit: plan.commit, stack: a.project, service: a.service, container: a.container, action: a.kind, reason: a.reasons.join("; ") },
      `plan: ${a.kind} ${a.container}`,
    );
  }
}

export function errorReason(err: unknown): string {
  return err instanceof GitdockError ? `${err.code}: ${err.message}` : describeError(err);
}
