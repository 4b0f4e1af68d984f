/**
 * The reconcile pass's types: what it is given, what it decides and what it returns. Every file of
 * src/reconcile imports these from here, never from reconcile.ts, so the pass's modules form no
 * import cycle.
 */
import type Docker from "dockerode";
import type { RegistryAuths } from "../apply/registry-auth.js";
import type { Settings } from "../config/settings.js";
import type { LastGoodRejectedError } from "../errors.js";
import type { FleetEvent, FleetMemory } from "../fleet/fleet-memory.js";
import type { OutcomeLine } from "../fleet/verify-reports.js";
import type { VerifiedImage } from "../image-signatures/index.js";
import type { InPlaceSource } from "../in-place/index.js";
import type { Logger } from "../log.js";
import type { DesiredState } from "../model.js";
import type { HostSnapshot, Plan, ServicePlan } from "../plan/index.js";
import type { GitCredentials } from "../source/index.js";
import type { SignatureVerdict } from "../source/verify-signature.js";
import type { Journal, StateStore } from "../state/index.js";
import type { FailureOutputListener } from "../untrusted/index.js";
import type { ClusterStateStore } from "../swarm/index.js";
import type { Rejection } from "./rejection.js";

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
  /** Told of every commit outcome (git notes, deployment markers, metrics); see record-outcome.ts. */
  outcomeListeners?: ((o: CommitOutcome) => void | Promise<void>)[];
  /** Run first in every pass that may change the host (audit: publish outcomes earlier passes could not). Must not throw. */
  beforePass?: () => Promise<void>;
  /** Told how long each fetch of the branch took and whether it failed (metrics). */
  onFetch?: (f: { durationMs: number; ok: boolean }) => void;
  /** Told of each container failure that came with output, redacted (the agent keeps the last one for status; never recorded). */
  onFailureOutput?: FailureOutputListener;
  /** Every host's outcome lines on a commit, from the git notes, when notes reporting is on (rebuild-state.ts). */
  outcomesOf?: (commit: string) => Promise<OutcomeNote[]>;
  /** The running agent's watch over containers changed in place (src/in-place); the one-shot commands have none. */
  inPlace?: InPlaceSource;
  /** What the running agent remembers between passes for the wave rule (when it first saw a head, what it said); the one-shot commands start afresh. */
  fleet?: FleetMemory;
  /** Told when a wave reaches this host or a commit is held fleet-wide (notifications). Must not throw. */
  onFleetEvent?: (e: FleetEvent) => void;
  /** On a Swarm, while a pass holds its lease: the state the Swarm keeps for the agent of any manager (swarm/cluster-state.ts). */
  swarmState?: ClusterStateStore;
  /** Resolves when the deployment markers and notifications sent so far are delivered or given up (the agent waits on it, bounded, when it stops). */
  reportsSettled?: () => Promise<void>;
}

/** One host's outcome line on a commit's git note (fleet/verify-reports.ts checks its signature). */
export type OutcomeNote = OutcomeLine;

export interface ReconcileOptions {
  /** Plan only; change nothing and record nothing. */
  dryRun: boolean;
  /** A sync window holds new commits back: reconcile toward the last good commit and report a new target as "waiting". */
  holdTarget?: { reason: string };
  /** Drift repair only: may this service be repaired now (the agent's repair budget)? Refused ones sit this pass out. */
  allowRepair?: AllowRepair;
}

/** Decides whether `<stack>/<service>` may be repaired now (the agent's repair budget). */
export type AllowRepair = (stack: string, service: string) => boolean;

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
   * stage): nothing was changed, and nothing will be until a new commit passes.
   */
  | "halted";

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  /** The branch head. */
  target: string;
  /** The commit the host was reconciled toward (the target, or the last good commit when the target is blocked). */
  commit: string | undefined;
  plan: Plan | undefined;
  /** On a Swarm (`engine: swarm`): the plan over its services, instead of `plan`. */
  servicePlan?: ServicePlan;
  changed: number;
  /** Why the target is rejected, held or rolled back. */
  reason: string | undefined;
  /** Containers gitdock needs whose names are held by containers it does not manage. */
  conflicts: string[];
  /** Services (`<stack>/<service>`) whose repair `allowRepair` refused in this pass. */
  suppressed?: string[];
  /** A failed release on a host with no good commit before it: its undo removed what it created, and nothing was restored. */
  noLastGood?: true;
  /** The snapshot the plan was made against, when the pass then left the host as it was (metrics reuse it). */
  unchangedHost?: HostSnapshot;
  /** The fleet's wave rule holds the target until this time (ms since the epoch): look again then. */
  recheckAt?: number;
  /** The fleet's wave rule holds the target: this host's wave, and when held fleet-wide, the host that failed it (metrics). */
  wave?: WaveHold;
}

export interface WaveHold {
  wave: string;
  state: "waiting" | "held";
  /** The host whose failure holds the commit fleet-wide (state `held`). */
  failedHost?: string;
}

/**
 * Which commit a pass reconciles toward, and what the checks found on the way. Choosing writes
 * nothing: the pass hands `rejection` and `signature` to the recorder (record-outcome.ts).
 */
export interface CommitChoice {
  outcome: ReconcileOutcome;
  /** What to reconcile toward; undefined when there is nothing safe to reconcile toward. */
  desired: DesiredState | undefined;
  reason: string | undefined;
  /** The target was judged now and failed a check: to be recorded as rejected. */
  rejection?: { commit: string; error: Rejection };
  /** The target's signature verdict, when it was verified (security.verify warn or enforce). */
  signature?: { commit: string; verdict: SignatureVerdict };
  /** The target's images whose signatures were verified (security.policy.image_signatures), when any were. */
  images?: { commit: string; images: VerifiedImage[] };
  /** The fleet took back the target, healthy here until a later wave failed it: to be recorded before reconciling toward `previous`. */
  withdrawal?: { commit: string; previous: string; reason: string };
  /** The wave rule holds the target until then (ms since the epoch): the agent looks again at that time. */
  recheckAt?: number;
  /** The wave rule holds the target (this host's wave; the host that failed it when held fleet-wide). */
  wave?: WaveHold;
  /** The target was rejected and the last good commit no longer passes either: halt, once the rejection is recorded. */
  halt?: LastGoodRejectedError;
}

/**
 * What happened to a commit on this host: the unit of the audit trail (journal, git notes,
 * deployment markers, metrics). Never carries environment values or other secrets.
 */
export interface CommitOutcome {
  commit: string;
  hostId: string;
  /** `withdrawn`: it was healthy here, and the fleet's wave rule took it back (a later wave failed it, `on_failure: rollback`). */
  outcome: "healthy" | "rolled-back" | "rejected" | "paused" | "withdrawn";
  at: string;
  reason?: string;
  /** For rollbacks: how long from the failed gate to the previous version serving again. */
  durationMs?: number;
  /** Who signed the commit's images (security.policy.image_signatures), each with how many: `key SHA256:… (3)`. */
  imageSigners?: string[];
}
