import type { DesiredService } from "../../model.js";
import { PREVIOUS_SUFFIX } from "../../labels.js";
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
import { readSwarmService } from "../swarm/read-swarm-service.js";
import { refuseSwarmOnlyKeys } from "../swarm/swarm-only-keys.js";

/** One validated service as the model's DesiredService; `problems` is scoped to `services.<name>`. */
export function normalizeService(stack: StackContext, name: string, service: ServiceInput, problems: ProblemSink): DesiredService {
  // Paths the service's files resolve are relative to where each was written: its own part of the document.
  const ctx: StackContext = { ...stack, files: stack.files.under(["services", name]) };
  const { spec, unsent } = normalizeContainer(ctx, service, problems);
  const written =
    (key: string): WrittenScalar =>
    (path) =>
      ctx.writtenScalar(["services", name, key, ...path]);
  const normalized: DesiredService = {
    name,
    replicas: normalizeReplicas(service.deploy),
    dependsOn: normalizeDependsOn(service.depends_on, ctx.serviceNames, scopedSink(problems, ["depends_on"])),
    envFiles: normalizeEnvFiles(service.env_file, ctx.files.under(["env_file"]), scopedSink(problems, ["env_file"])),
    updateConfig: normalizeUpdateConfig(service.deploy?.update_config),
    rollbackConfig: normalizeUpdateConfig(service.deploy?.rollback_config),
    gitdock: normalizeGitdockOptions(service["x-gitdock"], scopedSink(problems, ["x-gitdock"])),
    container: spec,
  };
  // Each only when written, so services without them look exactly as they did before the keys existed.
  if (service.secrets !== undefined) {
    normalized.secrets = normalizeServiceSecrets(service.secrets, ctx.secretFiles, written("secrets"), scopedSink(problems, ["secrets"]), {
      byKey: ctx.encryptedSecrets ?? new Map(),
      files: ctx.files.under(["secrets"]),
    });
  }
  // On a Swarm, container_name is refused (swarm/check-swarm-keys.ts): Swarm names the containers.
  if (service.container_name !== undefined && ctx.engine === "containers" && checkContainerName(service.container_name, normalized, problems))
    normalized.containerName = service.container_name;
  const pullPolicy = normalizePullPolicy(service.pull_policy, problems);
  if (pullPolicy) normalized.pullPolicy = pullPolicy;
  if (ctx.engine === "swarm") {
    const read = readSwarmService(service, problems);
    normalized.swarm = read.swarm;
    unsent.push(...read.unsent);
  } else {
    refuseSwarmOnlyKeys(service, problems);
  }
  if (unsent.length > 0) normalized.unsent = unsent;
  // Only when used, so every other spec hashes as it did before configs existed.
  const configs = service.configs && normalizeServiceConfigs(service.configs, ctx, written("configs"), scopedSink(problems, ["configs"]));
  if (configs?.length) normalized.container.configs = configs;
  checkMountTargets(normalized, problems);
  return normalized;
}

/**
 * A fixed name fits one container: more replicas would collide, and start-first would need the old
 * and the new container side by side under one name. `.gitdock-prev` marks kept containers.
 */
function checkContainerName(name: string, service: DesiredService, problems: ProblemSink): boolean {
  const at = ["container_name"];
  if (name.endsWith(PREVIOUS_SUFFIX)) {
    problems.report(at, `a name ending in ${PREVIOUS_SUFFIX} is reserved: gitdock renames the containers it keeps for rollback so`);
    return false;
  }
  if (service.replicas > 1) {
    problems.report(at, `names one container, but deploy.replicas is ${service.replicas}; remove container_name or run one replica`);
    return false;
  }
  if (service.updateConfig.order === "start-first") {
    problems.report(at, "cannot be used with update_config.order: start-first: the old and the new container would need the name at once; use stop-first");
    return false;
  }
  return true;
}

/**
 * Images are pinned by digest, whose content never changes: `missing` (the default, and
 * `if_not_present`, and the refresh policies `daily`, `weekly`, `every_<d>`, `refresh`, which have
 * nothing to refresh) pulls when the image is not on the host. `always` pulls before every create
 * (nothing is downloaded again; the registry must still serve it). `never` only uses the host's.
 */
function normalizePullPolicy(input: string | undefined, problems: ProblemSink): "always" | "never" | undefined {
  if (input === "build") {
    problems.report(["pull_policy"], "build is not supported: gitdock does not build images; push the image and pin it by digest");
    return undefined;
  }
  return input === "always" || input === "never" ? input : undefined;
}
