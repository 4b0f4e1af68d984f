/**
 * Whose fault a rollout's failure is, from the error alone: the commit's (the Engine refused what
 * it asked to create or start), the Engine's (unreachable, a server error, one of gitdock's own
 * steps refused), or a failed gate (decided with the Engine's health: reconcile/engine-disruption.ts).
 */
import { describe, expect, it } from "vitest";
import { faultOf, inPhase, phaseOf } from "../../src/apply/rollout-phase.js";
import { ApplyFailedError, BindSourceRefusedError, EngineUnavailableError, HealthGateFailedError } from "../../src/errors.js";

const engineAnswer = (statusCode: number) => Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode });

async function thrownIn(phase: Parameters<typeof inPhase>[0], err: unknown): Promise<unknown> {
  return inPhase(phase, async () => {
    throw err;
  }).catch((e: unknown) => e);
}

describe("the fault of a rollout's failure", () => {
  it("marks an error with the innermost phase it came from", async () => {
    const err = await inPhase("retire", () => thrownIn("start", engineAnswer(400)).then((e) => Promise.reject(e))).catch((e: unknown) => e);
    expect(phaseOf(err)).toBe("start");
  });

  it("holds a refused create or start against the release", async () => {
    expect(faultOf(await thrownIn("create", engineAnswer(400)))).toBe("release");
    expect(faultOf(await thrownIn("start", new ApplyFailedError("starting x: the Engine could not start it (HTTP 400)", { data: { status: 400 } })))).toBe(
      "release",
    );
    expect(faultOf(new BindSourceRefusedError("symlink"))).toBe("release");
  });

  it("does not hold the Engine's failures, or gitdock's own steps refused, against the release", async () => {
    expect(faultOf(await thrownIn("create", engineAnswer(500)))).toBe("engine");
    expect(faultOf(await thrownIn("retire", engineAnswer(409)))).toBe("engine");
    expect(faultOf(await thrownIn("start", new ApplyFailedError("x", { data: { status: 500 } })))).toBe("engine");
    expect(faultOf(new EngineUnavailableError("socket gone"))).toBe("engine");
  });

  it("leaves a failed gate to the Engine's health", () => {
    expect(faultOf(new HealthGateFailedError("health gate failed"))).toBe("gate");
  });
});
