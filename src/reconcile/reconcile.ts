/**
 * One reconcile pass: recover → (record changes in place) → fetch → choose → (record a rejection) →
 * plan → limit repairs → roll out → record → restore if failed. Each step is its own module and returns a verdict; this
 * file runs them and hands every outcome to the one recorder (record-outcome.ts). Everything that
 * can reject a commit finishes before the first call that changes the host. A dry run (`plan`)
 * records nothing.
 */
import type { DesiredState } from "../model.js";
import {
  ApplyFailedError,
  describeError,
  EngineDisruptedError,
  EngineUnavailableError,
  LastGoodRejectedError,
  RollbackIncompleteError,
  SwarmNodesNotReadyError,
} from "../errors.js";
import type { Logger } from "../log.js";
import { observeHost } from "../observe/index.js";
import { hasChanges, type HostSnapshot, type Plan, type ResolvedState } from "../plan/index.js";
import { fetchTargetCommit, parseRepoLocation, type SourceTarget } from "../source/index.js";
import { isBlocked, markGood, type HostState } from "../state/index.js";
import { chooseCommit } from "./choose-commit.js";
import { answers } from "./engine-disruption.js";
import type { CommitChoice, ReconcileContext, ReconcileOptions, ReconcileResult } from "./context.js";
import { applyWaveRule } from "./fleet-wave.js";
import { holdTarget } from "./hold-target.js";
import { limitRepairs } from "./limit-repairs.js";
import { planToward } from "./plan-toward.js";
import { knowsNoCommit, rebuildFromHost } from "./rebuild-state.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";
import {
  logRejection,
  recordImageSigners,
  recordOutcome,
  recordRolloutAbandoned,
  recordRolloutStart,
  recordSignatureVerdict,
  resumeJournal,
} from "./record-outcome.js";
import { gateRestored, recoverInterruptedRollout } from "./restore-last-good.js";
import { rollOut, type RolloutVerdict } from "./roll-out.js";
import { withSwarmHashKey, withSwarmLease } from "./swarm-lease.js";
import { planOnSwarm, releaseOnSwarm } from "./swarm-release.js";

export type { AllowRepair, CommitOutcome, ReconcileContext, ReconcileOptions, ReconcileOutcome, ReconcileResult } from "./context.js";

/** Passes one sync makes when the Engine is disrupted mid-rollout; the agent's own backoff takes over after. */
const DISRUPTED_ATTEMPTS = 3;

export async function reconcile(ctx: ReconcileContext, opts: ReconcileOptions): Promise<ReconcileResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pass(ctx, opts);
    } catch (err) {
      if (err instanceof LastGoodRejectedError) return halt(ctx, err, opts.dryRun);
      if (!(err instanceof EngineDisruptedError) || attempt >= DISRUPTED_ATTEMPTS || ctx.signal?.aborted) throw err;
      ctx.log.warn(
        { stage: "recover", attempt, err: err.message },
        `the Engine was disrupted; waiting for it to answer, then undoing the rollout and trying again (${attempt}/${DISRUPTED_ATTEMPTS - 1})`,
      );
      await waitForEngine(ctx, attempt);
    }
  }
}

async function pass(ctx: ReconcileContext, opts: ReconcileOptions): Promise<ReconcileResult> {
  if (!opts.dryRun) await ctx.beforePass?.();
  if (!opts.dryRun) await resumeJournal(ctx);
  // Taken before the fetch and planned against: in the agent, a change made by hand meanwhile is an
  // Engine event, and so one more pass.
  // The container engine's crash recovery undoes a rollout from its marker; a Swarm rollout writes none.
  const onSwarm = ctx.settings.engine === "swarm";
  const observed = opts.dryRun || onSwarm ? undefined : await recover(ctx);
  if (!opts.dryRun) await recordInPlaceChanges(ctx);
  const source = await fetchTarget(ctx);
  // The engine seam's Swarm side runs under the Swarm's lease: one agent changes a Swarm at a time.
  if (onSwarm && !opts.dryRun) return withSwarmLease(ctx, source, (held) => passFrom(held, opts, source, observed));
  // A plan of a Swarm hashes with the Swarm's key, read without the lease; it writes nothing.
  if (onSwarm) return passFrom(await withSwarmHashKey(ctx), opts, source, observed);
  return passFrom(ctx, opts, source, observed);
}

/** The pass once the target is fetched: choose, plan, roll out, record. */
async function passFrom(ctx: ReconcileContext, opts: ReconcileOptions, source: SourceTarget, observed: HostSnapshot | undefined): Promise<ReconcileResult> {
  const onSwarm = ctx.settings.engine === "swarm";
  const target = source.commit;
  // The policy judges requests against the Engine as it is (who owns which network and volume).
  const engine = () => (observed ? Promise.resolve(observed) : observeHost(ctx.docker, ctx.settings.hostId));
  const state = await rebuildIfLost(ctx, opts, await ctx.store.read(), engine, source);
  const choice = await choose(ctx, opts, state, source, engine);
  if (opts.dryRun && choice.rejection) throw choice.rejection.error;
  if (!opts.dryRun) await recordChoice(ctx, state, choice);
  if (choice.halt) throw choice.halt;
  const result: ReconcileResult = {
    outcome: choice.outcome,
    target,
    commit: undefined,
    plan: undefined,
    changed: 0,
    reason: choice.reason,
    conflicts: [],
    ...(choice.recheckAt !== undefined ? { recheckAt: choice.recheckAt } : {}),
    ...(choice.wave ? { wave: choice.wave } : {}),
  };
  if (!choice.desired) return result;

  const desired = choice.desired;
  // A withdrawn commit is no longer the one a failed repair restores.
  const lastGood = choice.withdrawal?.previous ?? state.lastGood?.commit;
  const release = choice.outcome === "synced" && desired.commit !== lastGood;
  if (onSwarm) return passOnSwarm(ctx, opts, result, desired, release);
  ctx.log.info({ stage: "observe", commit: desired.commit }, "observing the host");
  const { resolved, host, plan } = await planToward(ctx, desired, { release, observed });
  logPlanDecisions(ctx.log, plan);
  Object.assign(result, { commit: desired.commit, plan, conflicts: plan.actions.filter((a) => a.kind === "conflict").map((a) => a.container) });
  if (opts.dryRun) return { ...result, unchangedHost: host };

  // Drift repair only: services whose repair budget is used up sit this pass out.
  const limited = !release && opts.allowRepair ? limitRepairs(plan, opts.allowRepair, ctx.log) : { plan, suppressed: [] };
  if (limited.suppressed.length) Object.assign(result, { plan: limited.plan, suppressed: limited.suppressed });
  if (!hasChanges(limited.plan)) {
    if (release) await recordOutcome(ctx, { kind: "good", commit: desired.commit, changed: 0 });
    ctx.log.info({ stage: "done", commit: desired.commit }, "in sync");
    return { ...result, unchangedHost: host };
  }
  ctx.log.info({ stage: "apply", commit: desired.commit }, release ? "rolling out a new commit" : "repairing drift");
  const rolled = await rollOutAndRecord(ctx, resolved, limited.plan, release, lastGood, host);
  if (rolled.kind === "applied") {
    ctx.log.info({ stage: "done", commit: desired.commit, changed: rolled.changed }, `applied ${rolled.changed} change(s)`);
    return { ...result, changed: rolled.changed };
  }
  if (rolled.kind === "rolled-back" && lastGood) await restoreLastGood(ctx, source.gitdir, lastGood, rolled.restored, target);
  return { ...result, outcome: rolled.kind, reason: rolled.reason, ...(rolled.kind === "rolled-back" && !lastGood ? { noLastGood: true as const } : {}) };
}

/** The engine seam's Swarm side (swarm-release.ts): plan, or roll out and record, against the Swarm's services. */
async function passOnSwarm(
  ctx: ReconcileContext,
  opts: ReconcileOptions,
  result: ReconcileResult,
  desired: DesiredState,
  release: boolean,
): Promise<ReconcileResult> {
  if (opts.dryRun) return { ...result, commit: desired.commit, servicePlan: (await planOnSwarm(ctx, desired)).plan };
  const verdict = await releaseOnSwarm(ctx, desired, release);
  const base = { ...result, commit: desired.commit, servicePlan: verdict.plan };
  if (verdict.kind === "unchanged") return base;
  if (verdict.kind === "applied") return { ...base, changed: verdict.changed };
  if (verdict.undoProblems.length) throw new RollbackIncompleteError(desired.commit, verdict.undoProblems);
  if (verdict.waitsForNodes) throw new SwarmNodesNotReadyError(desired.commit, verdict.reason);
  // A failed repair is the pass's error, as on the container engine; a failed release is its outcome.
  if (!release) throw new ApplyFailedError(`repairing drift on the Swarm failed and was undone: ${verdict.reason}`);
  return { ...base, outcome: "rolled-back", reason: verdict.reason };
}

/** A rollout a crash cut short is undone first; returns the snapshot when nothing needed undoing. */
async function recover(ctx: ReconcileContext): Promise<HostSnapshot | undefined> {
  const verdict = await recoverInterruptedRollout(ctx);
  if (verdict.kind === "recovered") await recordOutcome(ctx, { kind: "recovered", commit: verdict.commit, undone: verdict.undone });
  return verdict.kind === "clean" ? verdict.host : undefined;
}

/** What the agent's in-place watch found since the last pass, journaled before anything else can fail. */
async function recordInPlaceChanges(ctx: ReconcileContext): Promise<void> {
  const findings = ctx.inPlace?.unrecorded() ?? [];
  for (const finding of findings) await recordOutcome(ctx, { kind: "changed-in-place", finding });
  if (findings.length) ctx.inPlace?.recorded(findings);
}

/**
 * A state directory that knows no commit while the host runs this agent's containers was lost:
 * the commit the containers run becomes the last good one again (rebuild-state.ts), recorded and
 * said loudly. A dry run uses it without recording it.
 */
async function rebuildIfLost(
  ctx: ReconcileContext,
  opts: ReconcileOptions,
  state: HostState,
  engine: () => Promise<HostSnapshot>,
  source: SourceTarget,
): Promise<HostState> {
  if (!knowsNoCommit(state)) return state;
  const rebuilt = await rebuildFromHost(ctx, await engine(), source.gitdir, source.commit);
  if (!rebuilt) return state;
  const fields = { stage: "state", commit: rebuilt.commit, containers: rebuilt.containers, failedHead: rebuilt.failed?.commit };
  ctx.log.warn(
    fields,
    `the state directory knew no commit: rebuilt from the host, whose containers run ${rebuilt.commit.slice(0, 12)}${rebuilt.failed ? `; the branch head failed here before (this host's git note)` : ""}`,
  );
  if (opts.dryRun) return markGood(state, rebuilt.commit, new Date().toISOString());
  await recordOutcome(ctx, { kind: "rebuilt", ...rebuilt });
  return ctx.store.read();
}

/** The branch head, fetched when remote; the fetch's duration and success go to `onFetch` (metrics). */
async function fetchTarget(ctx: ReconcileContext): Promise<SourceTarget> {
  ctx.log.info({ stage: "source", repo: ctx.settings.repo, branch: ctx.settings.branch }, "fetching");
  const started = Date.now();
  try {
    const found = await fetchTargetCommit({
      location: parseRepoLocation(ctx.settings.repo ?? ""),
      branch: ctx.settings.branch,
      stateDir: ctx.settings.stateDir,
      credentials: ctx.credentials,
      log: ctx.log,
    });
    ctx.onFetch?.({ durationMs: Date.now() - started, ok: true });
    return found;
  } catch (err) {
    ctx.onFetch?.({ durationMs: Date.now() - started, ok: false });
    throw err;
  }
}

/**
 * A sync window holds a new target back (hold-target.ts), and so does the fleet's wave rule
 * (fleet-wave.ts); otherwise the target, or the last good commit when the target is blocked.
 */
async function choose(
  ctx: ReconcileContext,
  opts: ReconcileOptions,
  state: HostState,
  source: SourceTarget,
  engine: () => Promise<HostSnapshot>,
): Promise<CommitChoice> {
  const held = opts.holdTarget ? await holdTarget(ctx, state, source.gitdir, source.commit, opts.holdTarget.reason) : undefined;
  const wave = held ?? (await applyWaveRule(ctx, state, source.gitdir, source.commit, { dryRun: opts.dryRun }));
  return wave ?? (await chooseCommit(ctx, state, source.gitdir, source.commit, engine));
}

/** What choosing found: a signature verdict and the image signers (once per commit), a rejection, and the end of a halt. */
async function recordChoice(ctx: ReconcileContext, state: HostState, choice: CommitChoice): Promise<void> {
  if (choice.signature) {
    const { commit, verdict } = choice.signature;
    const isNew = await recordSignatureVerdict(ctx, commit, verdict);
    if (verdict.status === "valid") {
      const { format, fingerprint, principal } = verdict.signer;
      ctx.log[isNew ? "info" : "debug"](
        { stage: "verify", commit, signer: { format, fingerprint, principal } },
        `commit ${commit.slice(0, 12)} signed by ${principal} (${fingerprint})`,
      );
    }
  }
  if (choice.images) await recordImageSigners(ctx, choice.images.commit, choice.images.images);
  if (choice.rejection) {
    logRejection(ctx, choice.rejection.commit, choice.rejection.error);
    await recordOutcome(ctx, { kind: "rejected", ...choice.rejection });
  }
  if (choice.withdrawal) {
    const { commit, previous, reason } = choice.withdrawal;
    ctx.log.warn({ stage: "fleet", commit, previous }, `${reason}; on_failure is rollback: going back to ${previous.slice(0, 12)}`);
    await recordOutcome(ctx, { kind: "withdrawn", ...choice.withdrawal });
  }
  if (state.halted && !choice.halt) {
    await recordOutcome(ctx, { kind: "resumed", commit: state.halted.commit, since: state.halted.at });
    ctx.log.warn({ stage: "halted", commit: state.halted.commit }, `no longer halted: gitdock changes the host again (halted since ${state.halted.at})`);
  }
}

/** The rollout marker first (a crash recovery starts from it), then the rollout, then its outcome. */
async function rollOutAndRecord(
  ctx: ReconcileContext,
  resolved: ResolvedState,
  plan: Plan,
  release: boolean,
  lastGood: string | undefined,
  host: HostSnapshot,
): Promise<Exclude<RolloutVerdict, { kind: "disrupted" }>> {
  const commit = resolved.commit;
  await recordRolloutStart(ctx, { commit, previousCommit: lastGood, startedAt: new Date().toISOString(), stacks: resolved.stacks.map((x) => x.stack.project) });
  let verdict: RolloutVerdict;
  try {
    verdict = await rollOut(ctx, resolved, plan, untouchedRunning(host, plan));
  } catch (err) {
    await recordRolloutAbandoned(ctx);
    throw err;
  }
  if (verdict.kind === "applied") {
    // Good first, clean up after: once the marker is gone, a crash can no longer undo this release.
    await recordOutcome(ctx, { kind: release ? "good" : "repaired", commit, changed: verdict.changed });
    await verdict.finish();
  } else if (verdict.kind === "paused") {
    await recordOutcome(ctx, { kind: "paused", commit, reason: verdict.reason });
  } else if (verdict.kind === "disrupted") {
    await recordOutcome(ctx, { kind: "disrupted", commit, reason: verdict.reason });
    throw new EngineDisruptedError(commit, verdict.reason);
  } else {
    const { reason, durationMs, interrupted, undoProblems } = verdict;
    await recordOutcome(ctx, { kind: "rolled-back", commit, reason, durationMs, release, interrupted, undoComplete: undoProblems.length === 0 });
    // A failed repair, or a rollout stopped by shutdown (the next start retries it), is the pass's error.
    if (!release || interrupted) throw verdict.failure;
  }
  return verdict;
}

/**
 * After a rollback, whatever the undo could not put back (services the failed commit removed, or
 * replaced containers that were not retained) is recreated from the last good commit, re-checked
 * first; then the restored containers are gated as the last good release. A failure is
 * RollbackIncompleteError: the failed commit stays blocked and the next pass tries again.
 */
async function restoreLastGood(ctx: ReconcileContext, gitdir: string, lastGood: string, restored: string[], target: string): Promise<void> {
  const desired = await loadCheckedLastGood(ctx, gitdir, lastGood, target);
  try {
    const { resolved, host, plan } = await planToward(ctx, desired, { release: false });
    if (hasChanges(plan)) await rollOutAndRecord(ctx, resolved, plan, false, lastGood, host);
    const unhealthy = await gateRestored(ctx, resolved, restored);
    if (unhealthy.length)
      throw new RollbackIncompleteError(
        lastGood,
        unhealthy.map((u) => `restored container not healthy: ${u}`),
      );
    ctx.log.warn({ stage: "rollback", commit: lastGood }, `host back at the last good commit ${lastGood.slice(0, 12)}, healthy`);
  } catch (err) {
    // An Engine that went away meanwhile is retried like any disruption: the marker says what to undo.
    if (err instanceof EngineDisruptedError) throw err;
    const incomplete = err instanceof RollbackIncompleteError ? err : new RollbackIncompleteError(lastGood, [describeError(err)], err);
    ctx.log.fatal(
      { stage: "rollback", commit: lastGood, code: incomplete.code, err: incomplete.message },
      "ROLLBACK INCOMPLETE: could not bring every service back; retrying on the next pass",
    );
    throw incomplete;
  }
}

/**
 * The last good commit no longer passes (LastGoodRejectedError, from any stage): nothing was
 * changed, and gitdock says so loudly on every such pass. When the target itself is rejected or
 * failed, the result says that too: both need a person.
 */
async function halt(ctx: ReconcileContext, err: LastGoodRejectedError, dryRun: boolean): Promise<ReconcileResult> {
  ctx.log.error(
    { stage: "halted", commit: err.commit, target: err.target, check: err.stage, reason: err.reason },
    `HALTED: ${err.message}; waiting for a new commit that passes`,
  );
  if (!dryRun) await recordOutcome(ctx, { kind: "halted", error: err });
  const state = await ctx.store.read();
  const blocked = err.target === err.commit ? undefined : isBlocked(state, err.target);
  const target = blocked
    ? `\nthe target ${err.target.slice(0, 12)} is ${Object.hasOwn(state.rejected, err.target) ? "rejected" : "held back as failed"}: ${blocked.reason}`
    : "";
  return { outcome: "halted", target: err.target, commit: undefined, plan: undefined, changed: 0, reason: describeError(err) + target, conflicts: [] };
}

/** Containers gitdock runs that a plan does not touch: if they die during the rollout, the Engine is to blame. */
function untouchedRunning(host: HostSnapshot, plan: Plan): Set<string> {
  const touched = new Set(plan.actions.filter((a) => a.kind !== "unchanged").map((a) => a.container));
  return new Set(host.containers.filter((c) => c.managed && c.running && c.previousOf === undefined && !touched.has(c.name)).map((c) => c.name));
}

/** Until the Engine answers again, bounded: it is pinged with a growing pause, for up to two minutes. */
async function waitForEngine(ctx: ReconcileContext, attempt: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let pauseMs = 500 * attempt;
  while (Date.now() < deadline && !ctx.signal?.aborted) {
    // A bounded ping: an Engine that takes the connection but never answers does not outlast the deadline.
    if (await answers(ctx.docker)) return;
    await new Promise((r) => setTimeout(r, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 5_000);
  }
  throw new EngineUnavailableError("the Docker Engine did not answer within 2 minutes after it was disrupted", {
    hint: "Start dockerd; the next pass undoes the interrupted rollout and tries the commit again.",
  });
}

function logPlanDecisions(log: Logger, plan: Plan): void {
  for (const a of plan.actions) {
    if (a.kind === "unchanged") continue;
    log.info(
      { stage: "plan", commit: plan.commit, stack: a.project, service: a.service, container: a.container, action: a.kind, reason: a.reasons.join("; ") },
      `plan: ${a.kind} ${a.container}`,
    );
  }
  for (const j of plan.jobs ?? []) {
    log.info(
      {
        stage: "plan",
        commit: plan.commit,
        stack: j.project,
        service: j.service,
        container: j.container,
        action: "job",
        phase: j.phase,
        reason: j.reasons.join("; "),
      },
      `plan: ${j.phase} job ${j.container}`,
    );
  }
}
