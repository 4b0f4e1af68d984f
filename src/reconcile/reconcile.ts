/**
 * One reconcile: source → manifest → observe → plan → apply → health → (rollback), each stage its
 * own module. Everything that can reject a commit (fetch, validation, host inputs) finishes before
 * the first call that changes the host.
 */
import type Docker from "dockerode";
import type { RegistryAuths } from "../apply/registry-auth.js";
import type { Settings } from "../config/settings.js";
import { LastGoodRejectedError } from "../errors.js";
import type { Logger } from "../log.js";
import { observeHost } from "../observe/index.js";
import { hasChanges, type HostSnapshot, type Plan } from "../plan/index.js";
import { fetchTargetCommit, parseRepoLocation, type GitCredentials } from "../source/index.js";
import type { FailureOutputListener } from "../untrusted/index.js";
import { markGood, type Journal, type StateStore } from "../state/index.js";
import { chooseDesired } from "./choose-desired.js";
import { haltPass, resumeIfHalted } from "./halt.js";
import { holdTarget } from "./hold-target.js";
import { limitRepairs, type AllowRepair } from "./limit-repairs.js";
import { emitOutcome, type CommitOutcome } from "./outcome.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";
import { gateRestored, planToward, recoverInterruptedRollout, rollOut } from "./roll-out.js";

export interface ReconcileContext {
  settings: Settings;
  docker: Docker;
  log: Logger;
  store: StateStore;
  journal: Journal;
  hostKey: Buffer;
  auths: RegistryAuths;
  credentials: GitCredentials | undefined;
  /** Aborted on shutdown: a rollout in progress stops starting new steps and is rolled back. */
  signal?: AbortSignal;
  /** Told of every commit outcome (git notes, deployment markers, metrics); see outcome.ts. */
  outcomeListeners?: ((o: CommitOutcome) => void | Promise<void>)[];
  /** Run first in every pass that may change the host (audit: publish outcomes earlier passes could not). Must not throw. */
  beforePass?: () => Promise<void>;
  /** Told how long each fetch of the branch took and whether it failed (metrics). */
  onFetch?: (f: { durationMs: number; ok: boolean }) => void;
  /** Told of each container failure that came with output, redacted (the agent keeps the last one for status; never recorded). */
  onFailureOutput?: FailureOutputListener;
}

export interface ReconcileOptions {
  /** Plan only; change nothing. */
  dryRun: boolean;
  /** A sync window holds new commits back: reconcile toward the last good commit and report a new target as "waiting". */
  holdTarget?: { reason: string };
  /** Drift repair only: may this service be repaired now (the agent's repair budget)? Refused ones sit this pass out. */
  allowRepair?: AllowRepair;
}

export type ReconcileOutcome =
  /** The host runs the target commit (nothing needed doing, or it was rolled out healthy). */
  | "synced"
  /** The target commit is invalid; the host stays at its last good commit. */
  | "rejected"
  /** The target failed its health gate before and is held back; the host stays at its last good commit. */
  | "held"
  /** The target failed its health gate in this pass and the host was rolled back. */
  | "rolled-back"
  /** The target failed its gate with `failure_action: pause`: the host was left as it was. */
  | "paused"
  /** A sync window holds the new target back (`holdTarget`); the host stays at its last good commit. */
  | "waiting"
  /**
   * The last good commit no longer passes the current checks (LastGoodRejectedError from any
   * stage): nothing was changed, and nothing will be until a new commit passes (halt.ts).
   */
  | "halted";

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  /** The branch head. */
  target: string;
  /** The commit the host was reconciled toward (the target, or the last good commit when the target is blocked). */
  commit: string | undefined;
  plan: Plan | undefined;
  changed: number;
  /** Why the target is rejected, held or rolled back. */
  reason: string | undefined;
  /** Containers gitdock needs whose names are held by containers it does not manage. */
  conflicts: string[];
  /** Services (`<stack>/<service>`) whose repair `allowRepair` refused in this pass. */
  suppressed?: string[];
  /** The snapshot the plan was made against, when the pass then left the host as it was (metrics reuse it). */
  unchangedHost?: HostSnapshot;
}

export async function reconcile(ctx: ReconcileContext, opts: ReconcileOptions): Promise<ReconcileResult> {
  try {
    return await reconcilePass(ctx, opts);
  } catch (err) {
    if (err instanceof LastGoodRejectedError) return haltPass(ctx, err, opts.dryRun);
    throw err;
  }
}

async function reconcilePass(ctx: ReconcileContext, opts: ReconcileOptions): Promise<ReconcileResult> {
  const { settings, log } = ctx;
  if (!opts.dryRun) await ctx.beforePass?.();
  // Taken before the fetch and planned against: in the agent, a change made by hand meanwhile is an
  // Engine event, and so one more pass.
  const observed = opts.dryRun ? undefined : await recoverInterruptedRollout(ctx);
  log.info({ stage: "source", repo: settings.repo, branch: settings.branch }, "fetching");
  const source = await fetchTarget(ctx);
  const target = source.commit;
  const state = await ctx.store.read();
  const held = opts.holdTarget ? await holdTarget(ctx, state, source.gitdir, target, opts.holdTarget.reason) : undefined;
  // The policy judges requests against the Engine as it is (who owns which network and volume).
  const engine = () => (observed ? Promise.resolve(observed) : observeHost(ctx.docker, settings.hostId));
  const choice = held ?? (await chooseDesired(ctx, state, source.gitdir, target, opts.dryRun, engine));
  if (!opts.dryRun) await resumeIfHalted(ctx, state);
  const empty = { target, commit: undefined, plan: undefined, changed: 0, reason: choice.reason, conflicts: [] };
  if (!choice.desired) return { outcome: choice.outcome, ...empty };

  const desired = choice.desired;
  log.info({ stage: "observe", commit: desired.commit }, "observing the host");
  const { resolved, plan, host } = await planToward(ctx, desired, observed);
  logPlanDecisions(log, plan);
  const conflicts = plan.actions.filter((a) => a.kind === "conflict").map((a) => a.container);
  const result: ReconcileResult = { outcome: choice.outcome, target, commit: desired.commit, plan, changed: 0, reason: choice.reason, conflicts };
  if (opts.dryRun) return { ...result, unchangedHost: host };

  const lastGood = state.lastGood?.commit;
  const isNewRelease = choice.outcome === "synced" && desired.commit !== lastGood;
  // Drift repair only: services whose repair budget is used up sit this pass out.
  const limited = !isNewRelease && opts.allowRepair ? limitRepairs(plan, opts.allowRepair, log) : { plan, suppressed: [] };
  if (limited.suppressed.length) {
    result.plan = limited.plan;
    result.suppressed = limited.suppressed;
  }
  if (!hasChanges(limited.plan)) {
    if (isNewRelease) await recordGoodWithoutChanges(ctx, desired.commit);
    log.info({ stage: "done", commit: desired.commit }, "in sync");
    return { ...result, unchangedHost: host };
  }
  log.info({ stage: "apply", commit: desired.commit }, isNewRelease ? "rolling out a new commit" : "repairing drift");
  const rolled = await rollOut(ctx, resolved, limited.plan, isNewRelease, lastGood);
  if (rolled.kind === "applied") {
    log.info({ stage: "done", commit: desired.commit, changed: rolled.changed }, `applied ${rolled.changed} change(s)`);
    return { ...result, changed: rolled.changed };
  }
  if (rolled.kind === "rolled-back" && lastGood) await repairToward(ctx, source.gitdir, lastGood, rolled.restored, target);
  return { ...result, outcome: rolled.kind, reason: rolled.reason };
}

/** The branch head, fetched when remote; the fetch's duration and success go to `onFetch` (metrics). */
async function fetchTarget(ctx: ReconcileContext) {
  const started = Date.now();
  try {
    const found = await fetchTargetCommit({
      location: parseRepoLocation(ctx.settings.repo ?? ""),
      branch: ctx.settings.branch,
      stateDir: ctx.settings.stateDir,
      credentials: ctx.credentials,
    });
    ctx.onFetch?.({ durationMs: Date.now() - started, ok: true });
    return found;
  } catch (err) {
    ctx.onFetch?.({ durationMs: Date.now() - started, ok: false });
    throw err;
  }
}

/** A new commit that changes nothing on this host is what it runs now: state, journal (audit history) and outcome say so. */
async function recordGoodWithoutChanges(ctx: ReconcileContext, commit: string): Promise<void> {
  await ctx.store.update((s) => markGood({ ...s, lastApplied: { commit, at: now() } }, commit, now()));
  await ctx.journal.append({ commit, action: "sync", outcome: "healthy", data: { changed: 0 } });
  await ctx.journal.checkpoint();
  await emitOutcome(ctx, { commit, outcome: "healthy" });
}

/**
 * After a rollback, whatever the undo could not put back (services the failed commit removed, or
 * replaced containers that were not retained) is recreated from the last good commit's manifest.
 * A failure here is loud, and the next pass tries again: the failed commit stays blocked.
 */
async function repairToward(ctx: ReconcileContext, gitdir: string, lastGood: string, restored: string[], target: string): Promise<void> {
  // The last good commit is re-checked before anything is recreated from it; if it no longer passes, the pass halts.
  const desired = await loadCheckedLastGood(ctx, gitdir, lastGood, target);
  try {
    const { resolved, plan } = await planToward(ctx, desired);
    if (hasChanges(plan)) await rollOut(ctx, resolved, plan, false, lastGood);
    const unhealthy = await gateRestored(ctx, resolved, restored);
    if (unhealthy.length) throw new Error(`restored containers are not healthy: ${unhealthy.join("; ")}`);
    ctx.log.warn({ stage: "rollback", commit: lastGood }, `host back at the last good commit ${lastGood.slice(0, 12)}, healthy`);
  } catch (err) {
    ctx.log.fatal({ stage: "rollback", commit: lastGood, err: String(err) }, "ROLLBACK INCOMPLETE: could not bring every service back; retrying on the next pass");
    throw err;
  }
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

function now(): string {
  return new Date().toISOString();
}
