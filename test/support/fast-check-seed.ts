/**
 * Property tests draw new cases on every run, except in CI: a landing gate must give the same
 * answer twice, so there the seed is fixed. GITDOCK_FUZZ_SEED replays a seed anywhere (fast-check
 * prints it with every counterexample).
 */
import fc from "fast-check";

const seed = process.env.GITDOCK_FUZZ_SEED ?? (process.env.CI ? "20261122" : undefined);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) });
