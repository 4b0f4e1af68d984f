import type { DesiredService } from "../../model.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import type { WrittenScalar } from "../yaml/written-scalar.js";
import type { StackContext } from "./stack-context.js";
import { checkMountTargets } from "./check-mount-targets.js";
import { normalizeContainer } from "./normalize-container.js";
import { normalizeServiceConfigs } from "./normalize-configs.js";
import { normalizeReplicas, normalizeUpdateConfig } from "./normalize-deploy.js";
import { normalizeDependsOn } from "./normalize-depends-on.js";
import { normalizeEnvFiles } from "./normalize-env-files.js";
import { normalizeGitdockOptions } from "./normalize-gitdock-options.js";
import { normalizeServiceSecrets } from "./normalize-secrets.js";

/** One validated service as the model's DesiredService; `problems` is scoped to `services.<name>`. */
export function normalizeService(ctx: StackContext, name: string, service: ServiceInput, problems: ProblemSink): DesiredService {
  const written = (key: string): WrittenScalar => (path) => ctx.writtenScalar(["services", name, key, ...path]);
  const normalized: DesiredService = {
    name,
    replicas: normalizeReplicas(service.deploy),
    dependsOn: normalizeDependsOn(service.depends_on, ctx.serviceNames, scopedSink(problems, ["depends_on"])),
    envFiles: normalizeEnvFiles(service.env_file, ctx.files, scopedSink(problems, ["env_file"])),
    updateConfig: normalizeUpdateConfig(service.deploy?.update_config),
    rollbackConfig: normalizeUpdateConfig(service.deploy?.rollback_config),
    gitdock: normalizeGitdockOptions(service["x-gitdock"], scopedSink(problems, ["x-gitdock"])),
    container: normalizeContainer(ctx, service, problems),
  };
  // Only when written, so services without secrets look exactly as they did before secrets existed.
  if (service.secrets !== undefined) {
    normalized.secrets = normalizeServiceSecrets(service.secrets, ctx.secretFiles, written("secrets"), scopedSink(problems, ["secrets"]));
  }
  // Only when used, so every other spec hashes as it did before configs existed.
  const configs = service.configs && normalizeServiceConfigs(service.configs, ctx, written("configs"), scopedSink(problems, ["configs"]));
  if (configs?.length) normalized.container.configs = configs;
  checkMountTargets(normalized, problems);
  return normalized;
}
