import type { HealthcheckSpec } from "../../model.js";
import { parseComposeDurationMs } from "../../duration.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

function disabled(): HealthcheckSpec {
  return { test: ["NONE"], intervalMs: undefined, timeoutMs: undefined, retries: undefined, startPeriodMs: undefined };
}

/**
 * Docker's healthcheck form. A string test runs in the image's shell (`CMD-SHELL`). A healthcheck
 * without `test` keeps the image's own test (Docker's empty list) with the timings given here.
 * A disabled check has no timings: they would change the spec hash without changing anything.
 */
export function normalizeHealthcheck(input: ServiceInput["healthcheck"], problems: ProblemSink): HealthcheckSpec | undefined {
  if (input === undefined) return undefined;
  if (input.disable === true) {
    if (input.test !== undefined) problems.report(["test"], "cannot be combined with disable: true");
    return disabled();
  }
  const test = normalizeTest(input.test, problems);
  if (test[0] === "NONE") return disabled();
  return {
    test,
    intervalMs: optionalMs(input.interval),
    timeoutMs: optionalMs(input.timeout),
    retries: input.retries,
    startPeriodMs: optionalMs(input.start_period),
  };
}

function normalizeTest(test: string | string[] | undefined, problems: ProblemSink): string[] {
  if (test === undefined) return [];
  if (typeof test === "string") return ["CMD-SHELL", test];
  const [first, ...rest] = test;
  const valid = (first === "CMD" && rest.length >= 1) || (first === "CMD-SHELL" && rest.length === 1) || (first === "NONE" && rest.length === 0);
  if (!valid) {
    problems.report(["test"], 'expected ["CMD", "prog", "arg"...], ["CMD-SHELL", "command"] or ["NONE"], or a command string');
  }
  return test;
}

export function optionalMs(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : parseComposeDurationMs(duration);
}
