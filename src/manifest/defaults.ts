import type { UpdateConfig } from "../model.js";

/** Values gitdock fills in when the manifest leaves a key out. The schema's descriptions quote them. */

export const DEFAULT_REPLICAS = 1;

/** Swarm pauses on failure; gitdock rolls back, because nobody is watching an unattended host. */
export const UPDATE_DEFAULTS: UpdateConfig = {
  parallelism: 1,
  delayMs: 0,
  order: "stop-first",
  failureAction: "rollback",
  monitorMs: 10_000,
};

export const DEFAULT_HEALTH_TIMEOUT_MS = 120_000;
/** A release job (x-gitdock.job) that runs longer is stopped and fails the release. */
export const DEFAULT_JOB_TIMEOUT_MS = 600_000;
export const DEFAULT_PROBE_PATH = "/";
export const DEFAULT_EXPECT_STATUS = 200;
