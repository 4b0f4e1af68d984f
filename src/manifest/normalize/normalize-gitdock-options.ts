import type { GitdockServiceOptions, Probe } from "../../model.js";
import { DEFAULT_EXPECT_STATUS, DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_PROBE_PATH } from "../defaults.js";
import { parseComposeDurationMs } from "../../duration.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

type GitdockInput = ServiceInput["x-gitdock"];

/** The service's `x-gitdock:` block: gitdock's own health probe and timeout. */
export function normalizeGitdockOptions(input: GitdockInput, problems: ProblemSink): GitdockServiceOptions {
  const timeout = input?.health_timeout === undefined ? undefined : parseComposeDurationMs(input.health_timeout);
  return { probe: normalizeProbe(input?.probe, problems), healthTimeoutMs: timeout ?? DEFAULT_HEALTH_TIMEOUT_MS };
}

function normalizeProbe(probe: NonNullable<GitdockInput>["probe"], problems: ProblemSink): Probe | undefined {
  if (probe === undefined) return undefined;
  const { http, tcp } = probe;
  if ((http === undefined) === (tcp === undefined)) {
    problems.report(["probe"], "set exactly one of http or tcp");
    return undefined;
  }
  if (http !== undefined) {
    return { kind: "http", port: http.port, path: http.path ?? DEFAULT_PROBE_PATH, expectStatus: http.expect_status ?? DEFAULT_EXPECT_STATUS };
  }
  return tcp === undefined ? undefined : { kind: "tcp", port: tcp.port };
}
