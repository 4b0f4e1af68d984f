/**
 * The undo of a failed rollout runs at the rollout's width: services that do not depend on each
 * other are restored together, `concurrency` containers at a time, and a service only after every
 * service that depends on it. Against a fake Engine that records when each call starts and ends.
 */
import type Docker from "dockerode";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { RolloutStep } from "../../src/apply/rollout-log.js";
import { undoRollout } from "../../src/rollback/undo-rollout.js";

/** A fake Engine whose calls take a few milliseconds; it records each container's restore window. */
function slowEngine() {
  let running = 0;
  let maxRunning = 0;
  const windows = new Map<string, { start: number; end: number }>();
  const call = async (name: string) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    const start = performance.now();
    await new Promise((r) => setTimeout(r, 15));
    running--;
    windows.set(name, { start, end: performance.now() });
  };
  const docker = {
    getContainer: (id: string) => ({
      inspect: async () => ({ Id: id }),
      kill: async () => undefined,
      rename: async ({ name }: { name: string }) => call(name),
      start: async () => undefined,
      remove: async () => undefined,
    }),
  } as unknown as Docker;
  return { docker, maxRunning: () => maxRunning, windows };
}

const step = (project: string, service: string, n: number): RolloutStep => ({
  project,
  service,
  name: `${project}-${service}-${n}`,
  newId: `${service}-${n}-new`,
  retainedName: `${project}-${service}-${n}.gitdock-prev`,
});

describe("the undo of a failed rollout", () => {
  const steps = [step("shop", "db", 1), step("shop", "api", 1), step("shop", "api", 2), step("shop", "web", 1), step("shop", "web", 2), step("blog", "web", 1)];
  const dependencies = new Map([
    ["shop/api", ["shop/db"]],
    ["shop/web", ["shop/api"]],
    ["shop/db", []],
    ["blog/web", []],
  ]);
  const ctx = (docker: Docker, extra = {}) => ({ docker, log: pino({ level: "silent" }), commit: "c", record: async () => undefined, ...extra });

  it("restores independent services and replicas together, dependents before what they depend on", async () => {
    const engine = slowEngine();
    const { restored, problems } = await undoRollout(steps, ctx(engine.docker, { dependencies, concurrency: 8 }));
    expect(problems).toEqual([]);
    expect(restored.sort()).toEqual(steps.map((s) => s.name).sort());
    expect(engine.maxRunning()).toBeGreaterThan(1);
    const w = (name: string) => engine.windows.get(name) as { start: number; end: number };
    // shop-web (depends on api) is restored before shop-api, which is restored before shop-db.
    expect(Math.max(w("shop-web-1").end, w("shop-web-2").end)).toBeLessThanOrEqual(Math.min(w("shop-api-1").start, w("shop-api-2").start));
    expect(Math.max(w("shop-api-1").end, w("shop-api-2").end)).toBeLessThanOrEqual(w("shop-db-1").start);
  });

  it("keeps to the concurrency it is given, and to one at a time without dependencies (a crash recovery)", async () => {
    const two = slowEngine();
    await undoRollout(steps, ctx(two.docker, { dependencies, concurrency: 2 }));
    expect(two.maxRunning()).toBeLessThanOrEqual(2);
    const serial = slowEngine();
    await undoRollout(steps, ctx(serial.docker));
    expect(serial.maxRunning()).toBe(1);
  });
});
