import type { UpdateConfig } from "../../model.js";
import { DEFAULT_REPLICAS, UPDATE_DEFAULTS } from "../defaults.js";
import { parseByteSize } from "../parse/parse-byte-size.js";
import { parseDurationMs } from "../parse/parse-duration.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

type DeployInput = NonNullable<ServiceInput["deploy"]>;
type UpdateInput = DeployInput["update_config"];

export function normalizeReplicas(deploy: DeployInput | undefined): number {
  return deploy?.replicas ?? DEFAULT_REPLICAS;
}

/** `update_config` / `rollback_config` with gitdock's defaults filled in. */
export function normalizeUpdateConfig(input: UpdateInput): UpdateConfig {
  return {
    parallelism: input?.parallelism ?? UPDATE_DEFAULTS.parallelism,
    delayMs: (input?.delay === undefined ? undefined : parseDurationMs(input.delay)) ?? UPDATE_DEFAULTS.delayMs,
    order: input?.order ?? UPDATE_DEFAULTS.order,
    failureAction: input?.failure_action ?? UPDATE_DEFAULTS.failureAction,
    monitorMs: (input?.monitor === undefined ? undefined : parseDurationMs(input.monitor)) ?? UPDATE_DEFAULTS.monitorMs,
  };
}

export interface Limits {
  memoryBytes: number | undefined;
  nanoCpus: number | undefined;
}

/** `deploy.resources.limits`: memory in bytes, CPUs as Docker's NanoCpus (cpus × 10⁹). */
export function normalizeLimits(deploy: DeployInput | undefined, problems: ProblemSink): Limits {
  const limits = deploy?.resources?.limits;
  const memoryBytes = limits?.memory === undefined ? undefined : parseByteSize(limits.memory);
  const cpus = limits?.cpus === undefined ? undefined : Number(limits.cpus);
  if (cpus !== undefined && !(cpus > 0)) problems.report(["resources", "limits", "cpus"], "must be greater than 0");
  return { memoryBytes, nanoCpus: cpus !== undefined && cpus > 0 ? Math.round(cpus * 1e9) : undefined };
}
