import { BindSourceRefusedError, EngineUnavailableError, GitdockError, HealthGateFailedError, PolicyViolationError } from "../errors.js";
import { engineStatus } from "../engine/docker-client.js";

/**
 * Which step of a rollout an error came from, so a failure can be told apart: the commit's own
 * (the Engine refused what the commit asked to create or start) from the Engine's or gitdock's
 * (a rename, a stop, a connection, a server error). Only the first is held against the commit.
 */
export type RolloutPhase = "create" | "start" | "connect" | "retire";

const PHASE = Symbol("gitdock.rollout-phase");

/** Runs `work`; an error it throws is marked as coming from `phase` (the innermost phase wins). */
export async function inPhase<T>(phase: RolloutPhase, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (typeof err === "object" && err !== null && !Object.hasOwn(err, PHASE)) Object.defineProperty(err, PHASE, { value: phase });
    throw err;
  }
}

export function phaseOf(err: unknown): RolloutPhase | undefined {
  return typeof err === "object" && err !== null ? ((err as Record<symbol, RolloutPhase | undefined>)[PHASE] ?? undefined) : undefined;
}

/**
 * Whose fault a rollout's failure is, as far as the error alone tells:
 *  - "release": the commit's doing — the Engine refused what the commit asked to create or start
 *    (an invalid setting, a command that does not exist), or the policy refused it on the host;
 *  - "engine":  the Engine could not be reached or failed (5xx), or one of gitdock's own steps
 *    (retiring a container, renaming, stopping) was refused: not the commit's doing;
 *  - "gate":    a health gate failed — the release's fault only if the Engine was healthy meanwhile,
 *    which the caller decides (reconcile/engine-disruption.ts).
 */
export function faultOf(err: unknown): "release" | "engine" | "gate" {
  if (err instanceof HealthGateFailedError) return "gate";
  if (err instanceof EngineUnavailableError) return "engine";
  if (err instanceof BindSourceRefusedError || err instanceof PolicyViolationError) return "release";
  const status = engineStatus(err) ?? (err instanceof GitdockError && typeof err.data["status"] === "number" ? err.data["status"] : undefined);
  if (status !== undefined && status >= 500) return "engine";
  const phase = phaseOf(err);
  return phase === "retire" ? "engine" : "release";
}
