import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMetrics } from "../../src/agent/metrics.js";

const load = (path: string): unknown => parse(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function registeredSeriesNames(): Promise<Set<string>> {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    if (String(m.type) === "histogram" || String(m.type) === "summary") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(m.name + suffix);
    }
  }
  return names;
}

describe("examples/prometheus", () => {
  const alerts = load("examples/prometheus/alerts.yml") as { groups: { name: string; rules: Rule[] }[] };
  const rules = alerts.groups.flatMap((g) => g.rules);

  it("scrape.yml has a gitdock job on port 9380", () => {
    const scrape = load("examples/prometheus/scrape.yml") as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const job = scrape.scrape_configs.find((j) => j.job_name === "gitdock");
    expect(job).toBeDefined();
    expect(job!.metrics_path ?? "/metrics").toBe("/metrics");
    const targets = job!.static_configs.flatMap((s) => s.targets);
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(t).toMatch(/:9380$/);
  });

  it("has the required alerts", () => {
    const names = rules.map((r) => r.alert);
    for (const a of ["GitdockRollbackHappened", "GitdockCommitFailed", "GitdockReconcileFailing", "GitdockDriftRepeated", "GitdockRepairsSuppressed"]) {
      expect(names).toContain(a);
    }
    const expr = (a: string) => rules.find((r) => r.alert === a)!.expr.replace(/\s+/g, " ");
    expect(expr("GitdockRollbackHappened")).toBe("increase(gitdock_rollbacks_total[15m]) > 0");
    expect(expr("GitdockReconcileFailing")).toContain('increase(gitdock_reconciles_total{result="error"}[15m]) > 3');
    expect(expr("GitdockReconcileFailing")).toContain("gitdock_last_successful_reconcile_timestamp_seconds");
    expect(expr("GitdockDriftRepeated")).toBe("increase(gitdock_drift_repairs_total[1h]) > 5");
  });

  it("every rule is well formed", () => {
    for (const r of rules) {
      expect(r.alert).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(typeof r.expr).toBe("string");
      expect(r.annotations?.["summary"]).toBeTruthy();
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smh]$/);
      // Balanced brackets: a cheap guard against a broken expression.
      for (const [open, close] of [
        ["(", ")"],
        ["[", "]"],
        ["{", "}"],
      ] as const) {
        expect(r.expr.split(open).length, `${r.alert}: ${open}${close}`).toBe(r.expr.split(close).length);
      }
    }
  });

  it("every gitdock_* name in an expression is one createMetrics() registers", async () => {
    const registered = await registeredSeriesNames();
    const used = new Set(rules.flatMap((r) => r.expr.match(/\bgitdock_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThanOrEqual(6);
    for (const name of used) expect(registered, name).toContain(name);
  });

  it("result matchers name results the agent records", () => {
    const results = new Set(["ok", "error", "rolled_back", "rejected", "waiting"]);
    for (const r of rules) {
      for (const m of r.expr.matchAll(/gitdock_reconciles_total\{result="([^"]+)"\}/g)) expect(results).toContain(m[1]);
    }
  });
});

describe("examples/github-actions/validate.yml", () => {
  const text = readFileSync(new URL("../../examples/github-actions/validate.yml", import.meta.url), "utf8");
  const wf = parse(text) as {
    on: Record<string, unknown>;
    jobs: Record<string, { "runs-on": string; steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }>;
  };

  it("runs on pull requests", () => {
    expect(Object.keys(wf.on)).toContain("pull_request");
  });

  it("checks out, sets up Node 20 and validates hosts/", () => {
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    expect(steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(true);
    const node = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(String(node?.with?.["node-version"])).toBe("20");
    expect(steps.some((s) => /\bgitdock validate hosts\/$/.test(s.run?.trim() ?? ""))).toBe(true);
  });

  it("lists unpinned images with gitdock pin --check before validating", () => {
    const runs = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.run?.trim() ?? ""));
    const check = runs.findIndex((r) => /\bgitdock pin --check hosts\/$/.test(r));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(check).toBeLessThan(runs.findIndex((r) => /\bgitdock validate hosts\/$/.test(r)));
  });

  it("shows the stricter policy variant as a comment", () => {
    expect(text).toMatch(/^\s*#.*gitdock validate --policy policy\.yaml hosts\//m);
  });
});
