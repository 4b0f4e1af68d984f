import type { GitdockServiceOptions, Probe } from "../../model.js";
import { byCodePoint } from "../../order.js";
import { DEFAULT_EXPECT_STATUS, DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_JOB_TIMEOUT_MS, DEFAULT_PROBE_PATH } from "../defaults.js";
import { parseComposeDurationMs } from "../../duration.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

type GitdockInput = ServiceInput["x-gitdock"];

/** The service's `x-gitdock:` block: gitdock's own health probe and timeout, release jobs, writable paths. */
export function normalizeGitdockOptions(input: GitdockInput, problems: ProblemSink): GitdockServiceOptions {
  const timeout = input?.health_timeout === undefined ? undefined : parseComposeDurationMs(input.health_timeout);
  const options: GitdockServiceOptions = { probe: normalizeProbe(input?.probe, problems), healthTimeoutMs: timeout ?? DEFAULT_HEALTH_TIMEOUT_MS };
  // Each only when written, so other services look exactly as they did before the keys existed.
  if (input?.job !== undefined) {
    options.job = input.job;
    const jobTimeout = input.job_timeout === undefined ? DEFAULT_JOB_TIMEOUT_MS : (parseComposeDurationMs(input.job_timeout) ?? DEFAULT_JOB_TIMEOUT_MS);
    if (jobTimeout <= 0) problems.report(["job_timeout"], "must be longer than 0s");
    options.jobTimeoutMs = jobTimeout;
  } else if (input?.job_timeout !== undefined) {
    problems.report(["job_timeout"], "applies to release jobs only: set job: pre-deploy or post-deploy, or remove it");
  }
  if (input?.writable_paths !== undefined) {
    const paths = [...new Set(input.writable_paths.map(withoutTrailingSlash))].sort(byCodePoint);
    if (paths.length) options.writablePaths = paths;
  }
  return options;
}

function withoutTrailingSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") || "/" : p;
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
