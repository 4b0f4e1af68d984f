import { ManifestInvalidError } from "../errors.js";
import { findFleetFile } from "../fleet/find-fleet-file.js";
import { FleetMemory } from "../fleet/fleet-memory.js";
import { waveOf, type Fleet } from "../fleet/read-fleet-file.js";
import { IGNORED_WHY, verifyReports, type IgnoredLine } from "../fleet/verify-reports.js";
import { judgeWave, type WaveVerdict } from "../fleet/wave-rule.js";
import { isBlocked, type HostState } from "../state/index.js";
import type { CommitChoice, ReconcileContext } from "./context.js";
import { holdTarget } from "./hold-target.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";

/**
 * The fleet's wave rule in the pass (fleet/wave-rule.ts), before the target is judged: when the
 * commit's fleet file puts this host in a wave whose turn has not come, or the commit is held
 * fleet-wide, the host keeps its last good commit and reports the target as waiting, with why.
 * When a later wave failed a commit this host runs healthy and that wave says `on_failure:
 * rollback`, the choice withdraws it: the previous good commit becomes the one to reconcile toward.
 * Undefined when the wave rule has nothing to say (no fleet file, a host no wave names, its turn),
 * and the pass goes on as on a single host. Writes nothing; a dry run (`plan`) tells no fleet event.
 */
export async function applyWaveRule(
  ctx: ReconcileContext,
  state: HostState,
  gitdir: string,
  target: string,
  opts: { dryRun: boolean },
): Promise<CommitChoice | undefined> {
  const found = await findFleetFile(gitdir, target, ctx.settings.path);
  if (!found) return undefined;
  if (isBlocked(state, target)) return undefined; // chooseCommit says why
  if (!found.fleet) return rejectFleetFile(ctx, state, gitdir, target, found.problems);
  const memory = ctx.fleet ?? new FleetMemory();
  const verdict = await verdictFor(ctx, memory, found.fleet, target);
  if (!opts.dryRun) tellFleetEvents(ctx, memory, target, verdict);
  if (verdict.kind === "free" || verdict.kind === "apply") return undefined;
  const runsTarget = state.lastGood?.commit === target;
  if (verdict.kind === "held" && verdict.rollBack && runsTarget) return withdraw(ctx, state, gitdir, target, verdict.reason);
  if (runsTarget) return undefined;
  const held = await holdTarget(ctx, state, gitdir, target, verdict.reason);
  if (!held) return undefined;
  const wave =
    verdict.kind === "held" ? { wave: verdict.wave, state: "held" as const, failedHost: verdict.host } : { wave: verdict.wave, state: "waiting" as const };
  return { ...held, wave, ...(verdict.kind === "wait" && verdict.recheckAt !== undefined ? { recheckAt: verdict.recheckAt } : {}) };
}

async function verdictFor(ctx: ReconcileContext, memory: FleetMemory, fleet: Fleet, target: string): Promise<WaveVerdict> {
  const wave = waveOf(fleet, ctx.settings.hostId)?.name;
  if (wave === undefined) return { kind: "free" };
  if (!ctx.outcomesOf) {
    return { kind: "wait", wave, reason: `${fleet.file} puts this host in wave ${wave}, which needs report.git_notes: true`, recheckAt: undefined };
  }
  let lines;
  try {
    lines = await ctx.outcomesOf(target);
  } catch (err) {
    return { kind: "wait", wave, reason: `cannot read the fleet's outcome lines: ${(err as Error).message}`, recheckAt: undefined };
  }
  const { reports, ignored } = verifyReports(fleet, target, lines);
  reportIgnored(ctx, memory, target, ignored);
  const now = Date.now();
  return judgeWave({ fleet, host: ctx.settings.hostId, reports, firstSeen: memory.firstSeen(target, now), now });
}

/** Lines the wave rule did not count, said once per commit, host and reason. */
function reportIgnored(ctx: ReconcileContext, memory: FleetMemory, target: string, ignored: IgnoredLine[]): void {
  for (const i of ignored) {
    if (!memory.once(`ignored ${target} ${i.host} ${i.why}`)) continue;
    ctx.log.warn(
      { stage: "fleet", commit: target, host: i.host, why: i.why },
      `ignored an outcome line of ${i.host} on ${target.slice(0, 12)}: ${IGNORED_WHY[i.why]}`,
    );
  }
}

/** A wave that reached this host after it waited, and a commit held fleet-wide, told once each. */
function tellFleetEvents(ctx: ReconcileContext, memory: FleetMemory, target: string, verdict: WaveVerdict): void {
  const before = memory.swapVerdict(target, verdict.kind);
  const at = new Date().toISOString();
  const host = ctx.settings.hostId;
  if (verdict.kind === "apply" && before === "wait") {
    ctx.log.info({ stage: "fleet", commit: target, wave: verdict.wave }, `wave ${verdict.wave} reached this host for ${target.slice(0, 12)}`);
    ctx.onFleetEvent?.({ kind: "wave-advanced", commit: target, wave: verdict.wave, hosts: [host], at });
  }
  if (verdict.kind === "held" && before !== "held") {
    ctx.log.warn({ stage: "fleet", commit: target, failedHost: verdict.host, wave: verdict.failedWave }, verdict.reason);
    ctx.onFleetEvent?.({ kind: "commit-held", commit: target, host: verdict.host, reason: verdict.reason, at });
  }
}

async function withdraw(ctx: ReconcileContext, state: HostState, gitdir: string, target: string, reason: string): Promise<CommitChoice | undefined> {
  const previous = state.goodHistory.find((c) => c !== target);
  if (!previous) {
    if (ctx.fleet?.once(`no-previous ${target}`) ?? true) {
      ctx.log.error(
        { stage: "fleet", commit: target },
        `${reason}; on_failure is rollback, but this host has no earlier good commit: keeping ${target.slice(0, 12)}`,
      );
    }
    return undefined;
  }
  const desired = await loadCheckedLastGood(ctx, gitdir, previous, target);
  return { outcome: "held", desired, reason, withdrawal: { commit: target, previous, reason } };
}

async function rejectFleetFile(
  ctx: ReconcileContext,
  state: HostState,
  gitdir: string,
  target: string,
  problems: ManifestInvalidError["problems"],
): Promise<CommitChoice> {
  const error = new ManifestInvalidError(problems);
  const lastGood = state.lastGood?.commit;
  const desired = lastGood ? await loadCheckedLastGood(ctx, gitdir, lastGood, target) : undefined;
  return { outcome: "rejected", desired, reason: error.message, rejection: { commit: target, error } };
}
