/** GITDOCK_FUZZ_RUNS=10 runs ten times as many cases as CI does (a deeper run). */
const FACTOR = Number(process.env.GITDOCK_FUZZ_RUNS ?? 1);

/** How many cases a property runs: `base` times the factor. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * FACTOR));
}
