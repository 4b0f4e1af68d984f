/**
 * What the running agent knows about itself: served on `/status` (under `agent`, with the token),
 * in part on `/healthz` (host id and phase only) and `/readyz`, and printed by `gitdock status`
 * when it talks to the agent. Plain data, no secrets.
 */
import type { ReconcileOutcome, ReconcileResult } from "../reconcile/reconcile.js";
import type { FailureOutput } from "../untrusted/index.js";
import type { InPlaceStatus } from "../in-place/index.js";
import type { ReconcileResult as MetricResult } from "./metrics.js";

/** A pass's result in the words the metrics use: ok, error, rolled_back, rejected, waiting, halted. */
export type PassResult = MetricResult;

/** What a client (`gitdock sync --now`) needs of a pass's ReconcileResult. */
export type PassSummary = Pick<ReconcileResult, "outcome" | "target" | "commit" | "changed" | "reason" | "conflicts" | "suppressed" | "noLastGood">;

export interface PassError {
  code: string | undefined;
  /** How the loop handles it (retry, reject, rollback, fatal); see src/errors.ts. */
  handling: string | undefined;
  message: string;
  hint: string | undefined;
}

export interface PassRecord {
  /** Counts passes since the agent started, from 1. */
  number: number;
  startedAt: string;
  finishedAt: string;
  /** e.g. "webhook, docker-event x2". */
  triggers: string;
  result: PassResult;
  summary: PassSummary | undefined;
  error: PassError | undefined;
}

export interface AgentStatus {
  pid: number;
  hostId: string;
  stateDir: string;
  listen: string;
  startedAt: string;
  phase: "starting" | "idle" | "reconciling" | "stopping";
  /** A pass is asked for and will start as soon as the running one (if any) ends. */
  pending: boolean;
  /** The last pass that ended. */
  lastPass: PassRecord | undefined;
  /** When the last pass that ended ok or waiting finished. */
  lastSuccessAt: string | undefined;
  consecutiveErrors: number;
  nextPollAt: string | undefined;
  /** The branch head a sync window or the fleet's wave rule holds back, if any. */
  waitingCommit: string | undefined;
  /** Why it waits (the window, or the wave rule's reason: which wave, which host, which check). */
  waitingReason?: string | undefined;
  /** When the wave rule said to look again (a soak or a report timeout ends); the agent runs a pass then. */
  recheckAt?: string | undefined;
  /** The sync windows' verdict at the last pass. */
  windows: { newCommits: "allowed" | "waiting"; driftRepair: boolean; reason: string } | undefined;
  /** `<stack>/<service>` whose repair budget is used up. */
  suppressedRepairs: string[];
  /**
   * The last container failure that came with output (a failed healthcheck, an Engine error): what
   * failed in gitdock's words, and a redacted one-line excerpt of what the container said. Kept only
   * in this process's memory (never in state.json, the journal, notes or markers), so `gitdock
   * status` shows it only while this agent runs.
   */
  lastFailureOutput: FailureOutput | undefined;
  /** The in-place watch (drift.in_place), unless it is off: the containers it found changed that still run. */
  inPlace?: InPlaceStatus;
}

/** The result label for a pass that returned (errors are "error"). */
export function passResultOf(outcome: ReconcileOutcome, conflicts: readonly string[]): PassResult {
  switch (outcome) {
    case "synced":
      // A foreign container holds a name gitdock needs: the host does not match (sync exits 1).
      return conflicts.length ? "error" : "ok";
    case "waiting":
      return "waiting";
    case "rejected":
      return "rejected";
    case "halted":
      return "halted";
    case "held":
    case "rolled-back":
    case "paused":
      return "rolled_back";
  }
}

export function summarize(r: ReconcileResult): PassSummary {
  const s: PassSummary = { outcome: r.outcome, target: r.target, commit: r.commit, changed: r.changed, reason: r.reason, conflicts: r.conflicts };
  if (r.suppressed?.length) s.suppressed = r.suppressed;
  if (r.noLastGood) s.noLastGood = true;
  return s;
}

/** Lines for `gitdock status` (text) when the agent answered. */
export function formatAgentStatus(a: AgentStatus): string[] {
  const short = (c: string | undefined) => (c ? c.slice(0, 12) : "-");
  const lines = [`agent pid ${a.pid} on ${a.listen}: ${a.phase} since ${a.startedAt}`];
  const p = a.lastPass;
  if (p) {
    const what = p.error ? `error: ${p.error.message.split("\n")[0]}` : `${p.summary?.outcome ?? p.result} ${short(p.summary?.target)}`;
    lines.push(`last pass #${p.number} at ${p.finishedAt} (${p.triggers}): ${what}`);
  }
  if (a.consecutiveErrors) lines.push(`failing: ${a.consecutiveErrors} pass(es) in a row; retrying with backoff`);
  if (a.waitingCommit) lines.push(`waiting:  ${short(a.waitingCommit)}: ${a.waitingReason ?? a.windows?.reason ?? "held back by a sync window"}`);
  if (a.suppressedRepairs.length) lines.push(`repairs suppressed (budget used up): ${a.suppressedRepairs.join(", ")}`);
  if (a.nextPollAt) lines.push(`next poll: ${a.nextPollAt}`);
  for (const c of a.inPlace?.changed ?? []) {
    const what = [
      c.command ? `exec ${c.command}` : undefined,
      c.layer ? `writable layer ${c.layer.added} added, ${c.layer.changed} changed, ${c.layer.deleted} deleted` : undefined,
    ]
      .filter(Boolean)
      .join("; ");
    lines.push(`changed in place: ${c.container} since ${c.since}: ${what} (${a.inPlace?.mode === "replace" ? "being replaced" : "reported"})`);
  }
  const f = a.lastFailureOutput;
  if (f) {
    lines.push(`last container failure: ${f.container} at ${f.at} (${short(f.commit)}): ${f.failure}`);
    lines.push(`  its output (redacted, kept by this agent only): ${f.excerpt}`);
  }
  return lines;
}
