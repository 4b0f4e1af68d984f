import type { ContainerSpec, UnsentKey } from "../../model.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import type { StackContext } from "./stack-context.js";
import { normalizeCommand } from "./normalize-command.js";
import { normalizeContainerKeys } from "./normalize-container-keys.js";
import { normalizeExtraHosts } from "./normalize-extra-hosts.js";
import { normalizeHealthcheck, optionalMs } from "./normalize-healthcheck.js";
import { normalizeHostAccess } from "./normalize-host-access.js";
import { normalizeCapabilities, normalizeLogging, normalizeTmpfs, normalizeUlimits } from "./normalize-host-settings.js";
import { normalizeEnvironment, normalizeLabels } from "./normalize-key-values.js";
import { normalizeResources } from "./normalize-limits.js";
import { normalizeMounts } from "./normalize-mounts.js";
import { normalizePorts } from "./normalize-ports.js";
import { normalizeRestartPolicy } from "./normalize-restart.js";
import { normalizeServiceNetworks } from "./normalize-service-networks.js";

/**
 * One service's container settings, in the model's key order so equal specs serialize alike, and
 * the keys it accepted but cannot send to the Engine.
 */
export function normalizeContainer(ctx: StackContext, service: ServiceInput, problems: ProblemSink): { spec: ContainerSpec; unsent: UnsentKey[] } {
  const at = (...path: (string | number)[]): ProblemSink => scopedSink(problems, path);
  const resources = normalizeResources(service, problems, ctx.engine);
  const restart = normalizeRestartPolicy(service, problems, ctx.engine);
  const ports = normalizePorts(service.ports, at("ports"));
  const spec: ContainerSpec = {
    image: service.image,
    command: normalizeCommand(service.command, at("command")),
    entrypoint: normalizeCommand(service.entrypoint, at("entrypoint")),
    environment: normalizeEnvironment(service.environment, at("environment")),
    ports,
    mounts: normalizeMounts(service.volumes, ctx.volumeNames, ctx.files.under(["volumes"]), at("volumes"), ctx.engine),
    networks: normalizeServiceNetworks(service, ctx.networkKeys, problems),
    networkMode: service.network_mode,
    labels: normalizeLabels(service.labels, at("labels")),
    restart: restart.restart,
    healthcheck: normalizeHealthcheck(service.healthcheck, at("healthcheck")),
    user: service.user === undefined ? undefined : String(service.user),
    workingDir: service.working_dir,
    readOnly: service.read_only ?? false,
    capAdd: normalizeCapabilities(service.cap_add),
    capDrop: normalizeCapabilities(service.cap_drop),
    privileged: service.privileged ?? false,
    stopGracePeriodMs: optionalMs(service.stop_grace_period),
    stopSignal: service.stop_signal,
    hostname: service.hostname,
    extraHosts: normalizeExtraHosts(service.extra_hosts, at("extra_hosts")),
    logging: normalizeLogging(service.logging),
    init: service.init,
    tmpfs: normalizeTmpfs(service.tmpfs, at("tmpfs")),
    ulimits: normalizeUlimits(service.ulimits, at("ulimits")),
    memoryBytes: resources.memoryBytes,
    nanoCpus: resources.nanoCpus,
    ...normalizeHostAccess(service, problems),
    ...normalizeContainerKeys(service, ports, problems),
    ...resources.extra,
  };
  return { spec, unsent: [...restart.unsent, ...resources.unsent, ...healthcheckUnsent(service)] };
}

/** `start_interval` needs Engine API 1.44; gitdock speaks 1.41 (see README, "Keys accepted but not sent"). */
function healthcheckUnsent(service: ServiceInput): UnsentKey[] {
  const hc = service.healthcheck;
  if (hc?.start_interval === undefined || hc.disable === true) return [];
  return [
    {
      key: "healthcheck.start_interval",
      reason: "it needs Engine API 1.44 and gitdock speaks 1.41; the Engine runs the check every interval during the start period too",
    },
  ];
}
