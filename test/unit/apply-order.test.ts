import { describe, expect, it } from "vitest";
import { runInDependencyOrder } from "../../src/apply/run-in-dependency-order.js";

/** A task that logs its start and end and finishes when the test lets it. */
function recorder() {
  const log: string[] = [];
  const task = (key: string, deps: string[] = [], fail = false) => ({
    key,
    deps,
    run: async () => {
      log.push(`start ${key}`);
      await new Promise((r) => setImmediate(r));
      log.push(`end ${key}`);
      if (fail) throw new Error(`${key} broke`);
    },
  });
  return { log, task };
}

describe("runInDependencyOrder", () => {
  it("starts a task only after its dependencies ended", async () => {
    const { log, task } = recorder();
    await runInDependencyOrder([task("web", ["api"]), task("api", ["db"]), task("db")], 4);
    expect(log.indexOf("start api")).toBeGreaterThan(log.indexOf("end db"));
    expect(log.indexOf("start web")).toBeGreaterThan(log.indexOf("end api"));
  });

  it("treats dependencies without a task as done", async () => {
    const { log, task } = recorder();
    const result = await runInDependencyOrder([task("web", ["unchanged-db"])], 2);
    expect(log).toEqual(["start web", "end web"]);
    expect(result.failed.size).toBe(0);
  });

  it("skips dependents of a failed task and still runs independent ones", async () => {
    const { log, task } = recorder();
    const result = await runInDependencyOrder([task("db", [], true), task("api", ["db"]), task("cache")], 2);
    expect([...result.failed.keys()]).toEqual(["db"]);
    expect(result.skipped).toEqual(["api"]);
    expect(log).toContain("end cache");
    expect(log).not.toContain("start api");
  });

  it("never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 10 }, (_, i) => ({
      key: `t${i}`,
      deps: [],
      run: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setImmediate(r));
        running--;
      },
    }));
    await runInDependencyOrder(tasks, 3);
    expect(peak).toBe(3);
  });
});
