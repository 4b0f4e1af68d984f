import type { UpdateConfig } from "../../model.js";
import { DEFAULT_REPLICAS, UPDATE_DEFAULTS } from "../defaults.js";
import { parseComposeDurationMs } from "../../duration.js";
import type { ServiceInput } from "../schema/service-schema.js";

type DeployInput = NonNullable<ServiceInput["deploy"]>;
type UpdateInput = DeployInput["update_config"];

export function normalizeReplicas(deploy: DeployInput | undefined): number {
  return deploy?.replicas ?? DEFAULT_REPLICAS;
}

/** `update_config` / `rollback_config` with gitdock's defaults filled in. */
export function normalizeUpdateConfig(input: UpdateInput): UpdateConfig {
  const config: UpdateConfig = {
    parallelism: input?.parallelism ?? UPDATE_DEFAULTS.parallelism,
    delayMs: (input?.delay === undefined ? undefined : parseComposeDurationMs(input.delay)) ?? UPDATE_DEFAULTS.delayMs,
    order: input?.order ?? UPDATE_DEFAULTS.order,
    failureAction: input?.failure_action ?? UPDATE_DEFAULTS.failureAction,
    monitorMs: (input?.monitor === undefined ? undefined : parseComposeDurationMs(input.monitor)) ?? UPDATE_DEFAULTS.monitorMs,
  };
  // 0 is the default: no failure is tolerated. Left out then, so configs compare as before.
  if (input?.max_failure_ratio) config.maxFailureRatio = input.max_failure_ratio;
  return config;
}
