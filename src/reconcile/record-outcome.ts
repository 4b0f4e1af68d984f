/**
 * The one writer of what happened to a commit. Every outcome — rejected, good, repaired, rolled
 * back, paused, recovered, halted, resumed, and a container found changed in place — goes through `recordOutcome`, which does the same four
 * things in the same order: state.json, the journal, the journal's checkpoint, and the listeners
 * (git notes, deployment markers, metrics). The steps of a pass return verdicts; reconcile.ts hands
 * them here. A dry run never calls this.
 */
import type { LastGoodRejectedError } from "../errors.js";
import type { InPlaceRecord } from "../in-place/index.js";
import { readImageSignatureRecords, recordImageSignatures, signerSummary, type VerifiedImage } from "../image-signatures/index.js";
import { readSignatureRecords, recordSignature } from "../source/signer-record.js";
import type { SignatureVerdict } from "../source/verify-signature.js";
import {
  beginRollout,
  clearHalted,
  endRollout,
  markApplied,
  markFailed,
  markWithdrawn,
  markGood,
  markHalted,
  markRejected,
  type HostState,
  type JournalInput,
  type RolloutMarker,
} from "../state/index.js";
import type { CommitOutcome, ReconcileContext } from "./context.js";
import { firstLine, REJECTED_BY, type Rejection } from "./rejection.js";

export type Outcome =
  /** The target failed a check before anything was planned (signature, history, manifest, policy). */
  | { kind: "rejected"; commit: string; error: Rejection }
  /** A new commit runs healthy (rolled out, or it changed nothing on this host). */
  | { kind: "good"; commit: string; changed: number }
  /** Drift was repaired toward the commit the host already runs. */
  | { kind: "repaired"; commit: string; changed: number }
  /**
   * A rollout failed and was undone. `release`: it was a new commit (marked failed, reported); a
   * failed repair is only journaled. `interrupted`: stopped by shutdown, not held against the commit.
   */
  | { kind: "rolled-back"; commit: string; reason: string; durationMs: number; release: boolean; interrupted: boolean; undoComplete: boolean }
  /** The Engine failed or went away mid-rollout: not held against the commit; the marker stays for the next pass to undo from. */
  | { kind: "disrupted"; commit: string; reason: string }
  /** `failure_action: pause`: the rollout stopped where it was; the commit is marked failed. */
  | { kind: "paused"; commit: string; reason: string }
  /** A rollout a crash cut short was undone at the start of a pass. */
  | { kind: "recovered"; commit: string; undone: number }
  /** The last good commit no longer passes the current checks: nothing changes until a new commit does. */
  | { kind: "halted"; error: LastGoodRejectedError }
  /** A pass went on normally after a halt. */
  | { kind: "resumed"; commit: string; since: string }
  /** The state directory knew no commit; the one the host's containers run is the last good commit again (rebuild-state.ts). */
  | { kind: "rebuilt"; commit: string; containers: number; failed?: { commit: string; reason: string } }
  /** The agent found a container changed in place (src/in-place): journaled once per finding; no state, no listeners. */
  | { kind: "changed-in-place"; finding: InPlaceRecord }
  /**
   * On a Swarm: the state the Swarm holds (swarm/cluster-state.ts), written by the agent of another
   * manager, is newer than this state directory's; its last good and failed commits are taken over.
   */
  | { kind: "adopted"; lastGood: { commit: string; at: string } | undefined; goodHistory: string[]; failed: HostState["failed"] }
  /** The fleet took back a commit that was healthy here (fleet-wave.ts); `previous` is the last good one again. */
  | { kind: "withdrawn"; commit: string; previous: string; reason: string };

interface Record {
  /** The state change, or none. */
  state?: (s: HostState, at: string) => HostState;
  journal?: JournalInput;
  /** What the listeners are told, or nothing. */
  event?: Omit<CommitOutcome, "hostId" | "at">;
}

export async function recordOutcome(ctx: ReconcileContext, outcome: Outcome): Promise<void> {
  const at = new Date().toISOString();
  const state = await ctx.store.read();
  const record = RECORDS[outcome.kind](outcome as never, state);
  if (record === undefined) return;
  if (record.state) await ctx.store.update((s) => record.state!(s, at));
  // A journal that cannot be written (a full disk) does not keep the outcome from the listeners
  // (git notes, markers): the pass still fails loudly afterwards, and the journal records the gap
  // with its next entry (state/journal-gap.ts).
  const failure = record.journal ? await journalOutcome(ctx, record.journal) : undefined;
  if (record.event) await tellListeners(ctx, { ...record.event, ...(await imageSignersOf(ctx, record.event)), hostId: ctx.settings.hostId, at });
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the journal write threw, rethrown as it came
  if (failure !== undefined) throw failure;
}

/**
 * A pass begins by recording the gap an earlier failed journal write left (a full disk), so the
 * journal resumes as soon as there is space. If the disk is still full, the pass goes on: its
 * own journal writes then fail loudly.
 */
export async function resumeJournal(ctx: ReconcileContext): Promise<void> {
  try {
    await ctx.journal.recordGap();
  } catch (err) {
    ctx.log.error({ stage: "journal", err: String(err) }, "JOURNAL WRITE FAILED: the journal's gap record could not be written yet");
  }
}

async function journalOutcome(ctx: ReconcileContext, entry: JournalInput): Promise<unknown> {
  try {
    await ctx.journal.append(entry);
    await ctx.journal.checkpoint();
    return undefined;
  } catch (err) {
    ctx.log.error(
      { stage: "journal", commit: entry.commit, action: entry.action, outcome: entry.outcome, err: String(err) },
      `JOURNAL WRITE FAILED: the ${entry.action} ${entry.outcome ?? ""} of ${entry.commit.slice(0, 12)} is in state.json but not in the journal`,
    );
    return err;
  }
}

/** A commit that ran names who signed its images, next to the outcome (git notes, markers). */
async function imageSignersOf(ctx: ReconcileContext, event: NonNullable<Record["event"]>): Promise<{ imageSigners?: string[] }> {
  if (event.outcome === "rejected") return {};
  const records = await readImageSignatureRecords(ctx.settings.stateDir).catch(() => []);
  const images = records.find((r) => r.commit === event.commit)?.images ?? [];
  return images.length > 0 ? { imageSigners: signerSummary(images) } : {};
}

type Recorder<K extends Outcome["kind"]> = (o: Extract<Outcome, { kind: K }>, state: HostState) => Record | undefined;

const RECORDS: { [K in Outcome["kind"]]: Recorder<K> } = {
  rejected: ({ commit, error }) => ({
    state: (s, at) => markRejected(s, commit, error.message, at),
    journal: { commit, action: "reject", reason: error.message, outcome: "rejected" },
    event: { commit, outcome: "rejected", reason: firstLine(error) },
  }),
  good: ({ commit, changed }) => ({
    state: (s, at) => endRollout(markGood(markApplied(s, commit, at), commit, at)),
    journal: { commit, action: "sync", outcome: "healthy", data: { changed } },
    event: { commit, outcome: "healthy" },
  }),
  repaired: ({ commit, changed }) => ({
    // A repair on a host with no good commit yet (its first apply was interrupted) makes it good.
    state: (s, at) => endRollout(s.lastGood ? markApplied(s, commit, at) : markGood(markApplied(s, commit, at), commit, at)),
    journal: { commit, action: "sync", outcome: "repaired", data: { changed } },
  }),
  "rolled-back": ({ commit, reason, durationMs, release, interrupted, undoComplete }) => {
    const held = release && !interrupted;
    // An undo that could not finish keeps the marker: the next pass undoes the rest as after a crash.
    const end = undoComplete ? endRollout : (s: HostState) => s;
    return {
      state: (s, at) => end(held ? markFailed(s, commit, reason, at) : s),
      journal: { commit, action: "rollback", reason, outcome: release ? "rolled-back" : "repair-failed", durationMs },
      ...(held ? { event: { commit, outcome: "rolled-back" as const, reason, durationMs } } : {}),
    };
  },
  disrupted: ({ commit, reason }) => ({
    journal: { commit, action: "rollout", reason, outcome: "interrupted" },
  }),
  paused: ({ commit, reason }) => ({
    state: (s, at) => endRollout(markFailed(s, commit, reason, at)),
    journal: { commit, action: "pause", reason, outcome: "paused" },
    event: { commit, outcome: "paused", reason },
  }),
  recovered: ({ commit, undone }) => ({
    state: (s) => endRollout(s),
    journal: { commit, action: "recover", outcome: "ok", data: { undone } },
  }),
  halted: ({ error }, state) =>
    // Said once when the halt begins or its reason changes; every halted pass logs it anyway.
    state.halted?.commit === error.commit && state.halted.reason === error.message
      ? undefined
      : {
          state: (s, at) => markHalted(s, error.commit, error.message, at),
          journal: { commit: error.commit, action: "halt", reason: error.message, outcome: "halted", data: { target: error.target, check: error.stage } },
        },
  resumed: ({ commit }) => ({ state: (s) => clearHalted(s), journal: { commit, action: "halt", outcome: "resumed" } }),
  "changed-in-place": ({ finding: f }) => ({
    journal: {
      commit: f.commit,
      stack: f.stack,
      service: f.service,
      container: f.container,
      action: "changed-in-place",
      reason: f.reason,
      outcome: f.mode === "replace" ? "replacing" : "reported",
      data: f.data,
    },
  }),
  withdrawn: ({ commit, previous, reason }) => ({
    state: (s, at) => markWithdrawn(s, commit, previous, reason, at),
    journal: { commit, action: "rollback", reason, outcome: "withdrawn", data: { to: previous } },
    event: { commit, outcome: "withdrawn", reason },
  }),
  adopted: ({ lastGood, goodHistory, failed }) => ({
    state: (s) => ({ ...s, lastGood, goodHistory, failed }),
    journal: {
      commit: lastGood?.commit ?? "",
      action: "state",
      outcome: "adopted",
      reason: "the Swarm's state, written by the agent on another manager, is newer than this state directory's",
      data: { failed: Object.keys(failed) },
    },
  }),
  rebuilt: ({ commit, containers, failed }) => ({
    state: (s, at) => {
      const good = { ...markGood(markApplied(s, commit, at), commit, at), rebuilt: { at, commit, from: "container labels" } };
      return failed ? markFailed(good, failed.commit, failed.reason, at) : good;
    },
    journal: {
      commit,
      action: "state",
      outcome: "rebuilt",
      reason: "the state directory knew no commit; rebuilt from the labels of the containers this host runs",
      data: { containers, ...(failed ? { failedHead: failed.commit } : {}) },
    },
  }),
};

/** Before the first change of a rollout: the marker a crash recovery starts from. */
export async function recordRolloutStart(ctx: ReconcileContext, marker: RolloutMarker): Promise<void> {
  await ctx.store.update((s) => beginRollout(s, marker));
}

/** A rollout that ended without an outcome (an error before any verdict): only the marker goes. */
export async function recordRolloutAbandoned(ctx: ReconcileContext): Promise<void> {
  await ctx.store.update(endRollout);
}

/**
 * A signature verdict, kept for `gitdock status` and journaled, once per commit and verdict (every
 * poll verifies the branch head again). Returns true when it was new.
 */
export async function recordSignatureVerdict(ctx: ReconcileContext, commit: string, verdict: SignatureVerdict): Promise<boolean> {
  const known = (await readSignatureRecords(ctx.settings.stateDir).catch(() => [])).find((r) => r.commit === commit);
  const same = known?.status === verdict.status && (verdict.status !== "valid" || known.signer?.fingerprint === verdict.signer.fingerprint);
  if (same) return false;
  const at = new Date().toISOString();
  await recordSignature(
    ctx.settings.stateDir,
    verdict.status === "valid"
      ? { commit, at, status: verdict.status, signer: verdict.signer }
      : { commit, at, status: verdict.status, reason: verdict.reason },
  );
  await ctx.journal.append({
    commit,
    action: "verify",
    outcome: verdict.status,
    ...(verdict.status === "valid" ? { data: { ...verdict.signer } } : { reason: verdict.reason }),
  });
  return true;
}

/**
 * The signers of a commit's images, kept for `gitdock status` and outcome reports and journaled,
 * once per commit and set of signers (every poll of a new target verifies again, from the cache).
 */
export async function recordImageSigners(ctx: ReconcileContext, commit: string, images: VerifiedImage[]): Promise<void> {
  const isNew = await recordImageSignatures(ctx.settings.stateDir, { commit, at: new Date().toISOString(), images });
  const signers = signerSummary(images);
  ctx.log[isNew ? "info" : "debug"](
    { stage: "image-signature", commit, signers },
    `${images.length} image(s) of ${commit.slice(0, 12)} signed by ${signers.join(", ")}`,
  );
  if (!isNew) return;
  const data = { images: images.map((i) => ({ service: `${i.stack}/${i.service}`, image: i.image, signer: i.signer, layout: i.layout })) };
  await ctx.journal.append({ commit, action: "verify-images", outcome: "valid", data });
}

/** A listener's failure never blocks or undoes a deployment. */
async function tellListeners(ctx: ReconcileContext, event: CommitOutcome): Promise<void> {
  ctx.log.info(
    { stage: "outcome", commit: event.commit, outcome: event.outcome, reason: event.reason, durationMs: event.durationMs },
    `commit ${event.commit.slice(0, 12)} ${event.outcome}`,
  );
  for (const listener of ctx.outcomeListeners ?? []) {
    try {
      await listener(event);
    } catch (err) {
      ctx.log.warn({ stage: "outcome", commit: event.commit, err: String(err) }, "an outcome listener failed; the deployment is unaffected");
    }
  }
}

/** The log line of a rejection, by the check that made it. */
export function logRejection(ctx: ReconcileContext, commit: string, error: Rejection): void {
  const by = REJECTED_BY[error.code];
  ctx.log.error({ stage: by.stage, commit, reason: error.message }, `commit rejected: ${by.what}; nothing changed`);
}
