/**
 * The agent's Prometheus metrics, on a registry of its own (never prom-client's global one, so
 * tests and a second agent in one process do not collide), with prom-client's default process
 * metrics. Every metric is named `gitdock_*`; `examples/prometheus/alerts.yml` uses only these,
 * which a unit test checks.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const RECONCILE_RESULTS = ["ok", "error", "rolled_back", "rejected", "waiting", "halted"] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];

export interface ServiceGaugeValue {
  stack: string;
  service: string;
  healthy: boolean;
  /** Running replicas. */
  replicas: number;
}

export interface Metrics {
  registry: Registry;
  reconciles: Counter<"result">;
  reconcileDuration: Histogram;
  gitFetchDuration: Histogram;
  gitFetchErrors: Counter;
  driftRepairs: Counter<"reason">;
  rollbacks: Counter;
  commitsFailed: Counter;
  appliedCommit: Gauge<"commit">;
  lastGoodCommit: Gauge<"commit">;
  lastGoodBlocked: Gauge;
  serviceHealthy: Gauge<"stack" | "service">;
  serviceReplicas: Gauge<"stack" | "service">;
  lastSuccessfulReconcile: Gauge;
  repairsSuppressed: Counter<"stack" | "service">;
  reconcileErrors: Counter<"code">;
  fleetWave: Gauge<"commit" | "wave" | "state" | "failed_host">;

  /**
   * Count a finished reconcile and observe its duration. `ok` and `waiting` (held back by a sync
   * window, otherwise healthy) move the last-successful timestamp.
   */
  reconcileFinished(result: ReconcileResult, durationSeconds: number, nowMs?: number): void;
  gitFetchFinished(durationSeconds: number, ok: boolean): void;
  driftRepaired(reason: string): void;
  rolledBack(): void;
  commitFailed(): void;
  /** The info gauge holds one series: the current commit at 1. Undefined clears it. */
  setAppliedCommit(sha: string | undefined): void;
  setLastGoodCommit(sha: string | undefined): void;
  /** 1 while the last good commit no longer passes and gitdock changes nothing (halted), else 0. */
  setLastGoodBlocked(blocked: boolean): void;
  /** Replace every per-service series, so services that left the manifest disappear. */
  setServices(services: readonly ServiceGaugeValue[]): void;
  repairSuppressed(stack: string, service: string): void;
  /** A pass that ended in an error, by its GITDOCK_E_* code (`unknown` for an untyped one). */
  reconcileFailed(code: string): void;
  /** The branch head the fleet's wave rule holds, if any (one series, or none). */
  setFleetWave(commit: string | undefined, hold: { wave: string; state: string; failedHost?: string } | undefined): void;
  /** The text exposition for `GET /metrics`, and its content type. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

const EVENT_LOOP_SAMPLE_MS = 100;
const RECONCILE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const FETCH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // prom-client samples event-loop delay every 10 ms by default: about 1 % of a core on an idle
  // agent. Every 100 ms still catches a blocked loop and costs a tenth of that.
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const registers = [registry];

  const reconciles = new Counter({
    name: "gitdock_reconciles_total",
    help: "Reconcile passes, by result (ok, error, rolled_back, rejected, waiting, halted).",
    labelNames: ["result"] as const,
    registers,
  });
  // Every result exists from the start, so increase() sees the first one.
  for (const result of RECONCILE_RESULTS) reconciles.inc({ result }, 0);

  const reconcileDuration = new Histogram({
    name: "gitdock_reconcile_duration_seconds",
    help: "Duration of a reconcile pass.",
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const gitFetchDuration = new Histogram({
    name: "gitdock_git_fetch_duration_seconds",
    help: "Duration of a fetch of the manifest branch.",
    buckets: FETCH_BUCKETS,
    registers,
  });
  const gitFetchErrors = new Counter({
    name: "gitdock_git_fetch_errors_total",
    help: "Fetches of the manifest branch that failed.",
    registers,
  });
  const driftRepairs = new Counter({
    name: "gitdock_drift_repairs_total",
    help: "Containers repaired toward the current commit, by reason (missing, not running, config changed, ...).",
    labelNames: ["reason"] as const,
    registers,
  });
  const rollbacks = new Counter({
    name: "gitdock_rollbacks_total",
    help: "Rollbacks to the last good commit.",
    registers,
  });
  const commitsFailed = new Counter({
    name: "gitdock_commits_failed_total",
    help: "Commits marked failed: rejected as invalid or rolled back.",
    registers,
  });
  const appliedCommit = new Gauge({
    name: "gitdock_applied_commit_info",
    help: "The commit the host runs (1 for the current commit only).",
    labelNames: ["commit"] as const,
    registers,
  });
  const lastGoodCommit = new Gauge({
    name: "gitdock_last_good_commit_info",
    help: "The last commit that passed its health gate (1 for the current value only).",
    labelNames: ["commit"] as const,
    registers,
  });
  const lastGoodBlocked = new Gauge({
    name: "gitdock_last_good_blocked",
    help: "1 while the last good commit no longer passes the current policy, trust files or verification mode and gitdock changes nothing on the host (halted), else 0.",
    registers,
  });
  lastGoodBlocked.set(0);
  const serviceHealthy = new Gauge({
    name: "gitdock_service_healthy",
    help: "1 when every replica of the service is running and healthy, else 0.",
    labelNames: ["stack", "service"] as const,
    registers,
  });
  const serviceReplicas = new Gauge({
    name: "gitdock_service_replicas",
    help: "Running replicas of the service.",
    labelNames: ["stack", "service"] as const,
    registers,
  });
  const lastSuccessfulReconcile = new Gauge({
    name: "gitdock_last_successful_reconcile_timestamp_seconds",
    help: "Unix time of the last reconcile that ended ok or waiting; 0 before the first.",
    registers,
  });
  const repairsSuppressed = new Counter({
    name: "gitdock_repairs_suppressed_total",
    help: "Drift repairs not made because the service used up its repair budget.",
    labelNames: ["stack", "service"] as const,
    registers,
  });

  const reconcileErrors = new Counter({
    name: "gitdock_reconcile_errors_total",
    help: "Reconcile passes that ended in an error, by code (GITDOCK_E_ROLLBACK_INCOMPLETE: a host not fully back at its last good commit; GITDOCK_E_RECOVERY_FAILED: an interrupted rollout not undone).",
    labelNames: ["code"] as const,
    registers,
  });
  const fleetWave = new Gauge({
    name: "gitdock_fleet_wave_hold_info",
    help: "1 while the fleet's wave rule holds the branch head on this host: its wave, waiting (for earlier waves) or held (fleet-wide, failed_host failed it).",
    labelNames: ["commit", "wave", "state", "failed_host"] as const,
    registers,
  });
  // The two that need a person exist from the start, so an alert's increase() sees the first one.
  for (const code of ["GITDOCK_E_ROLLBACK_INCOMPLETE", "GITDOCK_E_RECOVERY_FAILED"]) reconcileErrors.inc({ code }, 0);

  const setInfo = (gauge: Gauge<"commit">, sha: string | undefined): void => {
    gauge.reset();
    if (sha !== undefined) gauge.set({ commit: sha }, 1);
  };

  return {
    registry,
    reconciles,
    reconcileDuration,
    gitFetchDuration,
    gitFetchErrors,
    driftRepairs,
    rollbacks,
    commitsFailed,
    appliedCommit,
    lastGoodCommit,
    lastGoodBlocked,
    serviceHealthy,
    serviceReplicas,
    lastSuccessfulReconcile,
    repairsSuppressed,
    reconcileErrors,
    fleetWave,

    setFleetWave(commit, hold) {
      fleetWave.reset();
      if (commit !== undefined && hold) fleetWave.set({ commit, wave: hold.wave, state: hold.state, failed_host: hold.failedHost ?? "" }, 1);
    },
    reconcileFailed(code) {
      reconcileErrors.inc({ code });
    },
    reconcileFinished(result, durationSeconds, nowMs = Date.now()) {
      reconciles.inc({ result });
      reconcileDuration.observe(durationSeconds);
      if (result === "ok" || result === "waiting") lastSuccessfulReconcile.set(nowMs / 1000);
    },
    gitFetchFinished(durationSeconds, ok) {
      gitFetchDuration.observe(durationSeconds);
      if (!ok) gitFetchErrors.inc();
    },
    driftRepaired(reason) {
      driftRepairs.inc({ reason });
    },
    rolledBack() {
      rollbacks.inc();
    },
    commitFailed() {
      commitsFailed.inc();
    },
    setAppliedCommit(sha) {
      setInfo(appliedCommit, sha);
    },
    setLastGoodCommit(sha) {
      setInfo(lastGoodCommit, sha);
    },
    setLastGoodBlocked(blocked) {
      lastGoodBlocked.set(blocked ? 1 : 0);
    },
    setServices(services) {
      serviceHealthy.reset();
      serviceReplicas.reset();
      for (const s of services) {
        const labels = { stack: s.stack, service: s.service };
        serviceHealthy.set(labels, s.healthy ? 1 : 0);
        serviceReplicas.set(labels, s.replicas);
      }
    },
    repairSuppressed(stack, service) {
      repairsSuppressed.inc({ stack, service });
    },
    async exposition() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
