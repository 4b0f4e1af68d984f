import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { IDLE_AGENT_V8_FLAGS } from "../../src/agent/runtime-footprint.js";

/**
 * A fresh Node process sets the flags after start-up, as `gitdock run` does, then runs a hot
 * function and a burst of short-lived allocation; it reports what V8 made of them.
 */
const PROBE = `
const v8 = require("node:v8");
for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * 7) % 3; return s; }
for (let i = 0; i < 5000; i++) hot(1000);
const status = %GetOptimizationStatus(hot);
const kept = [];
for (let round = 0; round < 100; round++) {
  const batch = [];
  for (let i = 0; i < 20000; i++) batch.push({ i, s: "x" + i });
  kept.push(batch);
  if (kept.length > 3) kept.shift();
}
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
process.stderr.write(JSON.stringify({ optimized: (status & (1 << 4)) !== 0, youngMiB: young / 2 ** 20 }));
`;

function probe(flags: readonly string[]): { optimized: boolean; youngMiB: number; stdout: string } {
  // Synchronous optimization, so a busy machine cannot leave a compile job unfinished when the probe looks.
  const node = ["--allow-natives-syntax", "--no-concurrent-recompilation"];
  const r = spawnSync(process.execPath, [...node, "-e", PROBE, JSON.stringify(flags)], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return { ...JSON.parse(r.stderr), stdout: r.stdout };
}

describe("the idle agent's V8 settings", () => {
  it("are accepted by this Node, keep hot code out of the optimizing compiler and the young generation small", () => {
    const tuned = probe(IDLE_AGENT_V8_FLAGS);
    expect(tuned.stdout).toBe(""); // V8 prints "unrecognized flag" there
    expect(tuned.optimized).toBe(false);
    expect(tuned.youngMiB).toBeLessThanOrEqual(4);
  });

  it("differ from V8's defaults in exactly that (the probe can tell)", () => {
    const defaults = probe([]);
    expect(defaults.optimized).toBe(true);
    expect(defaults.youngMiB).toBeGreaterThan(4);
  });
});
