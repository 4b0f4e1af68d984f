import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { formatAgentStatus, passResultOf } from "../../src/agent/agent-status.js";
import { eventFilters, relevantEvent } from "../../src/agent/docker-events.js";
import { isWatchedRefPath, watchRepoRefs } from "../../src/agent/repo-watcher.js";
import { serviceGauges } from "../../src/agent/service-gauges.js";
import { previousOf } from "../../src/labels.js";
import type { ContainerAction, ObservedContainer, Plan } from "../../src/plan/index.js";
import { limitRepairs } from "../../src/reconcile/limit-repairs.js";

const silent = pino({ level: "silent" });

function event(action: string, name = "shop-web-1", type = "container") {
  return { Type: type, Action: action, Actor: { ID: "abc", Attributes: { name, "com.docker.compose.project": "shop", "com.docker.compose.service": "web" } } };
}

describe("Engine events", () => {
  it("subscribes to this agent's managed containers and the actions that can mean drift", () => {
    expect(eventFilters("web-1")).toEqual({
      type: ["container"],
      label: ["gitdock.managed=true", "gitdock.agent=web-1"],
      event: ["die", "destroy", "stop", "kill", "health_status"],
    });
  });

  it.each([
    ["die", true],
    ["destroy", true],
    ["stop", true],
    ["kill", true],
    ["health_status: unhealthy", true],
    ["health_status: healthy", false],
    ["health_status: starting", false],
    ["start", false],
    ["exec_die", false],
  ])("%s calls for a pass: %s", (action, expected) => {
    expect(relevantEvent(event(action)) !== undefined).toBe(expected);
  });

  it("ignores retained previous revisions, other object types and garbage", () => {
    expect(relevantEvent(event("stop", "shop-web-1.gitdock-prev"))).toBeUndefined();
    expect(relevantEvent(event("destroy", "shop-web-1", "network"))).toBeUndefined();
    expect(relevantEvent("not an event")).toBeUndefined();
    expect(relevantEvent(null)).toBeUndefined();
  });

  it("names the container, stack and service", () => {
    expect(relevantEvent(event("die"))).toEqual({ action: "die", container: "shop-web-1", id: "abc", stack: "shop", service: "web" });
  });
});

function action(kind: ContainerAction["kind"], service: string, n = 1, reasons: string[] = []): ContainerAction {
  return { kind, project: "shop", service, container: `shop-${service}-${n}`, number: n, containerId: "id", reasons };
}

function plan(actions: ContainerAction[]): Plan {
  return { commit: "c", actions, networksToCreate: [], volumesToCreate: [], networksToRemove: [], images: [], blockers: [] };
}

describe("limitRepairs", () => {
  it("asks once per service with something to repair and leaves refused services out", () => {
    const asked: string[] = [];
    const p = plan([
      action("replace", "web", 1, ["not running"]),
      action("create", "web", 2, ["missing"]),
      action("replace", "api", 1, ["not running"]),
      action("unchanged", "db"),
      action("conflict", "cache"),
    ]);
    const r = limitRepairs(p, (stack, service) => (asked.push(`${stack}/${service}`), service !== "web"), silent);
    expect(asked).toEqual(["shop/web", "shop/api"]);
    expect(r.suppressed).toEqual(["shop/web"]);
    expect(r.plan.actions.map((a) => a.container)).toEqual(["shop-api-1", "shop-db-1", "shop-cache-1"]);
  });

  it("returns the plan itself when nothing is refused", () => {
    const p = plan([action("replace", "web", 1, ["not running"])]);
    expect(limitRepairs(p, () => true, silent)).toEqual({ plan: p, suppressed: [] });
  });
});

describe("service gauges", () => {
  const c = (name: string, service: string, state: string, health: ObservedContainer["health"] = "none", managed = true): ObservedContainer => ({
    id: name,
    name,
    managed,
    project: "shop",
    service,
    number: 1,
    commit: "c1",
    specHash: "h",
    fieldHashesLabel: undefined,
    image: "img",
    state,
    running: state === "running",
    health,
    previousOf: previousOf(name),
  });

  it("count running replicas and call a service healthy only when every replica runs and is not unhealthy", () => {
    expect(
      serviceGauges([
        c("shop-web-1", "web", "running", "healthy"),
        c("shop-web-2", "web", "running"),
        c("shop-web-1.gitdock-prev", "web", "exited"),
        c("shop-api-1", "api", "running", "unhealthy"),
        c("shop-worker-1", "worker", "exited"),
        c("shop-cron-1", "cron", "running", "starting"),
        c("shop-web-3", "web", "running", "none", false),
      ]),
    ).toEqual([
      { stack: "shop", service: "api", healthy: false, replicas: 1 },
      { stack: "shop", service: "cron", healthy: false, replicas: 1 },
      { stack: "shop", service: "web", healthy: true, replicas: 2 },
      { stack: "shop", service: "worker", healthy: false, replicas: 0 },
    ]);
  });
});

describe("pass results and status lines", () => {
  it.each([
    ["synced", [], "ok"],
    ["synced", ["shop-cache-1"], "error"],
    ["waiting", [], "waiting"],
    ["rejected", [], "rejected"],
    ["held", [], "rolled_back"],
    ["rolled-back", [], "rolled_back"],
    ["paused", [], "rolled_back"],
  ] as const)("%s with conflicts %j counts as %s", (outcome, conflicts, result) => {
    expect(passResultOf(outcome, conflicts)).toBe(result);
  });

  it("status lines say what is waiting and what is suppressed", () => {
    const lines = formatAgentStatus({
      pid: 7,
      hostId: "h",
      stateDir: "/s",
      listen: "127.0.0.1:9380",
      startedAt: "t0",
      phase: "idle",
      pending: false,
      lastPass: undefined,
      lastSuccessAt: undefined,
      consecutiveErrors: 2,
      nextPollAt: "t9",
      waitingCommit: "f".repeat(40),
      windows: { newCommits: "waiting", driftRepair: true, reason: "deny window active" },
      suppressedRepairs: ["shop/web"],
      lastFailureOutput: undefined,
    });
    expect(lines).toEqual([
      "agent pid 7 on 127.0.0.1:9380: idle since t0",
      "failing: 2 pass(es) in a row; retrying with backoff",
      `waiting:  ${"f".repeat(12)}: deny window active`,
      "repairs suppressed (budget used up): shop/web",
      "next poll: t9",
    ]);
  });
});

describe("local repository refs", () => {
  it("watches refs/heads and packed-refs only", () => {
    const g = "/repo.git";
    expect(isWatchedRefPath(g, "/repo.git")).toBe(true);
    expect(isWatchedRefPath(g, "/repo.git/refs")).toBe(true);
    expect(isWatchedRefPath(g, "/repo.git/refs/heads/main")).toBe(true);
    expect(isWatchedRefPath(g, "/repo.git/packed-refs")).toBe(true);
    expect(isWatchedRefPath(g, "/repo.git/refs/tags/v1")).toBe(false);
    expect(isWatchedRefPath(g, "/repo.git/objects/ab/cdef")).toBe(false);
    expect(isWatchedRefPath(g, "/repo.git/HEAD")).toBe(false);
  });

  it("reports a branch ref moved by a lock-file rename, once", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-refs-"));
    await mkdir(path.join(dir, "refs", "heads"), { recursive: true });
    await mkdir(path.join(dir, "objects"), { recursive: true });
    await writeFile(path.join(dir, "refs", "heads", "main"), `${"a".repeat(40)}\n`);
    const changes: string[] = [];
    const watch = watchRepoRefs({ path: dir, log: silent, onChange: (d) => changes.push(d), debounceMs: 100 });
    try {
      // chokidar needs a moment to set its watches up; objects are never reported.
      await new Promise((r) => setTimeout(r, 300));
      await writeFile(path.join(dir, "objects", "x"), "blob");
      await writeFile(path.join(dir, "refs", "heads", "main.lock"), `${"b".repeat(40)}\n`);
      await rename(path.join(dir, "refs", "heads", "main.lock"), path.join(dir, "refs", "heads", "main"));
      for (let i = 0; i < 50 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatch(/refs\/heads\/main$/);
    } finally {
      await watch.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
