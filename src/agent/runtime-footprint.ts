import { setFlagsFromString } from "node:v8";

/**
 * V8 settings for the agent process, which spends months waiting on timers, the Engine and Git,
 * and whose resident memory is what a host's operator sees (bench/agent.mjs measures it).
 *
 * - `--max-opt=1`: code runs in the interpreter and the baseline compiler, never in the optimizing
 *   compiler. Optimized code, the compiler's working memory and the part of the Node binary it
 *   runs from were about an eighth of an idle agent's footprint. What it would speed up is parsing
 *   and validating a new commit, which happens once per commit and costs a fraction of a second
 *   even for hundreds of services, next to seconds of container work.
 * - `--semi-space-growth-factor=1`: V8 doubles the young generation (up to 2 x 16 MB) after a
 *   burst of allocation, such as a pass that creates many containers, and gives it back only once
 *   it notices the process is idle, so the footprint swung by tens of MB between polls. Almost
 *   everything a pass allocates dies young, so collecting a small young generation more often
 *   costs next to nothing.
 *
 * Both flags are read by V8 each time it decides, so setting them after start-up takes effect
 * (the maximum young-generation size, by contrast, is fixed when the heap is created). They must
 * be set before the libraries load, though (cli/main.ts): loading them is hot enough to be optimized.
 * One-shot commands (sync, plan, validate) keep V8's defaults: they are short and want speed.
 */
export const IDLE_AGENT_V8_FLAGS = ["--max-opt=1", "--semi-space-growth-factor=1"] as const;

export function tuneRuntimeForIdleAgent(): void {
  for (const flag of IDLE_AGENT_V8_FLAGS) setFlagsFromString(flag);
}
