import type { ContainerSpec } from "../../model.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import type { StackContext } from "./stack-context.js";
import { normalizeCommand } from "./normalize-command.js";
import { normalizeLimits } from "./normalize-deploy.js";
import { normalizeExtraHosts } from "./normalize-extra-hosts.js";
import { normalizeHealthcheck, optionalMs } from "./normalize-healthcheck.js";
import { normalizeHostAccess } from "./normalize-host-access.js";
import {
  normalizeCapabilities,
  normalizeLogging,
  normalizeRestart,
  normalizeTmpfs,
  normalizeUlimits,
} from "./normalize-host-settings.js";
import { normalizeEnvironment, normalizeLabels } from "./normalize-key-values.js";
import { normalizeMounts } from "./normalize-mounts.js";
import { normalizePorts } from "./normalize-ports.js";
import { normalizeServiceNetworks } from "./normalize-service-networks.js";

/** One service's container settings, in the model's key order so equal specs serialize alike. */
export function normalizeContainer(ctx: StackContext, service: ServiceInput, problems: ProblemSink): ContainerSpec {
  const at = (...path: (string | number)[]): ProblemSink => scopedSink(problems, path);
  const limits = normalizeLimits(service.deploy, at("deploy"));
  return {
    image: service.image,
    command: normalizeCommand(service.command, at("command")),
    entrypoint: normalizeCommand(service.entrypoint, at("entrypoint")),
    environment: normalizeEnvironment(service.environment, at("environment")),
    ports: normalizePorts(service.ports, at("ports")),
    mounts: normalizeMounts(service.volumes, ctx.volumeNames, ctx.files, at("volumes")),
    networks: normalizeServiceNetworks(service, ctx.networkKeys, problems),
    networkMode: service.network_mode,
    labels: normalizeLabels(service.labels, at("labels")),
    restart: normalizeRestart(service.restart),
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
    memoryBytes: limits.memoryBytes,
    nanoCpus: limits.nanoCpus,
    ...normalizeHostAccess(service, problems),
  };
}
