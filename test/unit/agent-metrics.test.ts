import { describe, expect, it } from "vitest";
import { register as globalRegistry } from "prom-client";
import { createMetrics, RECONCILE_RESULTS } from "../../src/agent/metrics.js";

const GITDOCK_METRIC_NAMES = [
  "gitdock_reconciles_total",
  "gitdock_reconcile_errors_total",
  "gitdock_reconcile_duration_seconds",
  "gitdock_git_fetch_duration_seconds",
  "gitdock_git_fetch_errors_total",
  "gitdock_drift_repairs_total",
  "gitdock_rollbacks_total",
  "gitdock_commits_failed_total",
  "gitdock_applied_commit_info",
  "gitdock_last_good_commit_info",
  "gitdock_service_healthy",
  "gitdock_service_replicas",
  "gitdock_last_successful_reconcile_timestamp_seconds",
  "gitdock_repairs_suppressed_total",
  "gitdock_last_good_blocked",
  "gitdock_fleet_wave_hold_info",
];

/** Value of one sample line in the text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("createMetrics", () => {
  it("exposes every gitdock metric and the default process metrics on its own registry", async () => {
    const m = createMetrics();
    const { body, contentType } = await m.exposition();
    for (const name of GITDOCK_METRIC_NAMES) expect(body).toContain(`# TYPE ${name} `);
    expect(body).toContain("process_cpu_user_seconds_total");
    expect(body).toContain("nodejs_heap_size_used_bytes");
    expect(contentType).toMatch(/^text\/plain/);
    expect(await globalRegistry.metrics()).not.toContain("gitdock_");
  });

  it("two instances do not collide", () => {
    expect(() => {
      createMetrics();
      createMetrics();
    }).not.toThrow();
  });

  it("starts every reconcile result at zero", async () => {
    const { body } = await createMetrics({ defaultMetrics: false }).exposition();
    for (const result of RECONCILE_RESULTS) {
      expect(sample(body, `gitdock_reconciles_total{result="${result}"}`)).toBe(0);
    }
    expect(sample(body, "gitdock_last_successful_reconcile_timestamp_seconds")).toBe(0);
  });

  it("counts failed passes by code, starting the two that need a person at zero", async () => {
    const m = createMetrics({ defaultMetrics: false });
    let body = (await m.exposition()).body;
    expect(sample(body, 'gitdock_reconcile_errors_total{code="GITDOCK_E_ROLLBACK_INCOMPLETE"}')).toBe(0);
    expect(sample(body, 'gitdock_reconcile_errors_total{code="GITDOCK_E_RECOVERY_FAILED"}')).toBe(0);
    m.reconcileFailed("GITDOCK_E_ROLLBACK_INCOMPLETE");
    m.reconcileFailed("GITDOCK_E_SOURCE_UNAVAILABLE");
    body = (await m.exposition()).body;
    expect(sample(body, 'gitdock_reconcile_errors_total{code="GITDOCK_E_ROLLBACK_INCOMPLETE"}')).toBe(1);
    expect(sample(body, 'gitdock_reconcile_errors_total{code="GITDOCK_E_SOURCE_UNAVAILABLE"}')).toBe(1);
  });

  it("counters and histograms move", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.reconcileFinished("ok", 0.3, 1_700_000_000_000);
    m.reconcileFinished("error", 2);
    m.reconcileFinished("error", 2);
    m.gitFetchFinished(0.02, true);
    m.gitFetchFinished(1.5, false);
    m.driftRepaired("not running");
    m.driftRepaired("not running");
    m.driftRepaired("missing");
    m.rolledBack();
    m.commitFailed();
    m.repairSuppressed("shop", "web");
    const { body } = await m.exposition();
    expect(sample(body, 'gitdock_reconciles_total{result="ok"}')).toBe(1);
    expect(sample(body, 'gitdock_reconciles_total{result="error"}')).toBe(2);
    expect(sample(body, "gitdock_reconcile_duration_seconds_count")).toBe(3);
    expect(sample(body, "gitdock_reconcile_duration_seconds_sum")).toBeCloseTo(4.3);
    expect(sample(body, 'gitdock_reconcile_duration_seconds_bucket{le="0.5"}')).toBe(1);
    expect(sample(body, "gitdock_git_fetch_duration_seconds_count")).toBe(2);
    expect(sample(body, "gitdock_git_fetch_errors_total")).toBe(1);
    expect(sample(body, 'gitdock_drift_repairs_total{reason="not running"}')).toBe(2);
    expect(sample(body, 'gitdock_drift_repairs_total{reason="missing"}')).toBe(1);
    expect(sample(body, "gitdock_rollbacks_total")).toBe(1);
    expect(sample(body, "gitdock_commits_failed_total")).toBe(1);
    expect(sample(body, 'gitdock_repairs_suppressed_total{stack="shop",service="web"}')).toBe(1);
    expect(sample(body, "gitdock_last_successful_reconcile_timestamp_seconds")).toBe(1_700_000_000);
  });

  it("a waiting reconcile counts as successful, an error does not", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.reconcileFinished("waiting", 0.1, 2_000_000);
    m.reconcileFinished("error", 0.1, 9_000_000);
    expect(sample((await m.exposition()).body, "gitdock_last_successful_reconcile_timestamp_seconds")).toBe(2000);
  });

  it("info gauges hold only the current commit", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setAppliedCommit("a".repeat(40));
    m.setAppliedCommit("b".repeat(40));
    m.setLastGoodCommit("c".repeat(40));
    let { body } = await m.exposition();
    expect(sample(body, `gitdock_applied_commit_info{commit="${"b".repeat(40)}"}`)).toBe(1);
    expect(body).not.toContain("a".repeat(40));
    expect(sample(body, `gitdock_last_good_commit_info{commit="${"c".repeat(40)}"}`)).toBe(1);
    m.setLastGoodCommit(undefined);
    ({ body } = await m.exposition());
    expect(body).not.toContain("c".repeat(40));
  });

  it("the last-good-blocked gauge starts at 0 and follows a halt; a halted pass is not a success", async () => {
    const m = createMetrics({ defaultMetrics: false });
    expect(sample((await m.exposition()).body, "gitdock_last_good_blocked")).toBe(0);
    m.setLastGoodBlocked(true);
    m.reconcileFinished("halted", 0.1, 5_000_000);
    let { body } = await m.exposition();
    expect(sample(body, "gitdock_last_good_blocked")).toBe(1);
    expect(sample(body, 'gitdock_reconciles_total{result="halted"}')).toBe(1);
    expect(sample(body, "gitdock_last_successful_reconcile_timestamp_seconds")).toBe(0);
    m.setLastGoodBlocked(false);
    ({ body } = await m.exposition());
    expect(sample(body, "gitdock_last_good_blocked")).toBe(0);
  });

  it("the fleet wave gauge holds the branch head the wave rule holds, and nothing once it moves on", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setFleetWave("c".repeat(40), { wave: "middle", state: "held", failedHost: "web-1" });
    let body = (await m.exposition()).body;
    expect(sample(body, `gitdock_fleet_wave_hold_info{commit="${"c".repeat(40)}",wave="middle",state="held",failed_host="web-1"}`)).toBe(1);
    m.setFleetWave("d".repeat(40), { wave: "middle", state: "waiting" });
    body = (await m.exposition()).body;
    expect(body).not.toContain('state="held"');
    expect(sample(body, `gitdock_fleet_wave_hold_info{commit="${"d".repeat(40)}",wave="middle",state="waiting",failed_host=""}`)).toBe(1);
    m.setFleetWave("d".repeat(40), undefined);
    expect((await m.exposition()).body).not.toContain("gitdock_fleet_wave_hold_info{");
  });

  it("setServices replaces the per-service series", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setServices([
      { stack: "shop", service: "web", healthy: true, replicas: 2 },
      { stack: "shop", service: "db", healthy: false, replicas: 0 },
    ]);
    let { body } = await m.exposition();
    expect(sample(body, 'gitdock_service_healthy{stack="shop",service="web"}')).toBe(1);
    expect(sample(body, 'gitdock_service_replicas{stack="shop",service="web"}')).toBe(2);
    expect(sample(body, 'gitdock_service_healthy{stack="shop",service="db"}')).toBe(0);
    m.setServices([{ stack: "shop", service: "web", healthy: true, replicas: 1 }]);
    ({ body } = await m.exposition());
    expect(body).not.toContain('service="db"');
    expect(sample(body, 'gitdock_service_replicas{stack="shop",service="web"}')).toBe(1);
  });
});
