import type { DesiredService } from "../../model.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import type { StackContext } from "./stack-context.js";
import { normalizeContainer } from "./normalize-container.js";
import { normalizeReplicas, normalizeUpdateConfig } from "./normalize-deploy.js";
import { normalizeDependsOn } from "./normalize-depends-on.js";
import { normalizeEnvFiles } from "./normalize-env-files.js";
import { normalizeGitdockOptions } from "./normalize-gitdock-options.js";
import { normalizeServiceSecrets } from "./normalize-secrets.js";

/** One validated service as the model's DesiredService; `problems` is scoped to `services.<name>`. */
export function normalizeService(ctx: StackContext, name: string, service: ServiceInput, problems: ProblemSink): DesiredService {
  const normalized: DesiredService = {
    name,
    replicas: normalizeReplicas(service.deploy),
    dependsOn: normalizeDependsOn(service.depends_on, ctx.serviceNames, scopedSink(problems, ["depends_on"])),
    envFiles: normalizeEnvFiles(service.env_file, scopedSink(problems, ["env_file"])),
    updateConfig: normalizeUpdateConfig(service.deploy?.update_config),
    rollbackConfig: normalizeUpdateConfig(service.deploy?.rollback_config),
    gitdock: normalizeGitdockOptions(service["x-gitdock"], scopedSink(problems, ["x-gitdock"])),
    container: normalizeContainer(ctx, service, problems),
  };
  // Only when written, so services without secrets look exactly as they did before secrets existed.
  if (service.secrets !== undefined) normalized.secrets = normalizeServiceSecrets(service.secrets, ctx.secretFiles, scopedSink(problems, ["secrets"]));
  return normalized;
}
