/**
 * One resolved service as the Swarm ServiceSpec gitdock sends (POST /services/create and
 * /services/{id}/update, Engine API 1.41). Pure: the same body is judged by the host policy
 * (swarm-requests.ts) before it is sent, so the policy sees exactly what reaches the Engine.
 *
 * Secrets and configs are referenced by name here; apply adds the ids the Engine gave them.
 */
import type { ContainerSpec, DesiredStack, HealthcheckSpec, MountSpec, PortSpec, SwarmDeploy, UpdateConfig } from "../model.js";
import { LABEL } from "../labels.js";
import { parseByteSize } from "../manifest/parse/parse-byte-size.js";
import type { ResolvedService } from "../plan/types.js";
import { ownerLabels, swarmServiceName } from "./stack-names.js";
import type { SwarmObjectNames } from "./swarm-objects.js";

export type JsonObject = Record<string, unknown>;

export interface ServiceIdentity {
  stack: DesiredStack;
  service: ResolvedService;
  commit: string;
  agentId: string;
  /** The names of the stack's secrets and configs, by key (swarm-objects.ts). */
  objects: SwarmObjectNames;
}

/** Swarm's defaults where the manifest says nothing (Compose's own, as `docker stack deploy` sends them). */
const DEFAULT_SWARM: SwarmDeploy = { mode: "replicated", constraints: [], spread: [], endpointMode: "vip", labels: {}, restartPolicy: { condition: "any" } };

export function serviceSpec(id: ServiceIdentity): JsonObject {
  const { stack, service } = id;
  const swarm = service.service.swarm ?? DEFAULT_SWARM;
  const spec = service.spec;
  return compact({
    Name: swarmServiceName(stack.project, service.service.name),
    Labels: { ...swarm.labels, ...serviceLabels(id) },
    TaskTemplate: {
      ContainerSpec: containerSpec(id),
      Resources: resources(spec, swarm),
      RestartPolicy: restartPolicy(swarm),
      Placement: {
        Constraints: swarm.constraints,
        Preferences: swarm.spread.map((SpreadDescriptor) => ({ Spread: { SpreadDescriptor } })),
        ...(swarm.maxReplicasPerNode !== undefined ? { MaxReplicas: swarm.maxReplicasPerNode } : {}),
      },
      Networks: networks(id),
      ...(spec.logging ? { LogDriver: { Name: spec.logging.driver ?? "json-file", Options: spec.logging.options } } : {}),
    },
    Mode: swarm.mode === "global" ? { Global: {} } : { Replicated: { Replicas: service.service.replicas } },
    UpdateConfig: updateConfig(service.service.updateConfig),
    RollbackConfig: updateConfig(service.service.rollbackConfig),
    EndpointSpec: { Mode: swarm.endpointMode, Ports: spec.ports.filter((p) => p.published !== "").map((p) => port(p, swarm)) },
  });
}

/**
 * gitdock's labels on the service. The commit is left out of the hash (hashedSpec): a moved commit
 * alone never updates a service.
 */
function serviceLabels({ stack, service, commit, agentId }: ServiceIdentity): Record<string, string> {
  return {
    ...ownerLabels(stack.project, agentId),
    [LABEL.composeService]: service.service.name,
    [LABEL.commit]: commit,
  };
}

function containerSpec(id: ServiceIdentity): JsonObject {
  const spec = id.service.spec;
  return {
    Image: spec.image,
    Labels: { ...spec.labels, [LABEL.stackNamespace]: id.stack.project },
    // Swarm's Command replaces the image's entrypoint, its Args the image's command.
    Command: spec.entrypoint,
    Args: spec.command,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Dir: spec.workingDir,
    User: spec.user,
    Hostname: spec.hostname,
    Groups: spec.groupAdd,
    TTY: spec.tty,
    OpenStdin: spec.stdinOpen,
    ReadOnly: spec.readOnly || undefined,
    Init: spec.init,
    StopSignal: spec.stopSignal,
    StopGracePeriod: nanos(spec.stopGracePeriodMs),
    HealthCheck: spec.healthcheck && healthCheck(spec.healthcheck),
    Hosts: spec.extraHosts.map(hostsEntry),
    DNSConfig: dnsConfig(spec),
    Mounts: [...spec.mounts.map((m) => mount(m, id.stack)), ...spec.tmpfs.map(tmpfsEntry)],
    Secrets: (spec.secrets ?? []).map((s) => ({
      File: { Name: s.target, UID: "0", GID: "0", Mode: 0o444 },
      SecretName: id.objects.secrets.get(s.source),
    })),
    Configs: (spec.configs ?? []).map((c) => ({
      File: { Name: c.target, UID: "0", GID: "0", Mode: 0o444 },
      ConfigName: id.objects.configs.get(c.source),
    })),
    Sysctls: spec.sysctls,
    CapabilityAdd: spec.capAdd,
    CapabilityDrop: spec.capDrop,
    Ulimits: Object.entries(spec.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })),
  };
}

function healthCheck(h: HealthcheckSpec): JsonObject {
  return { Test: h.test, Interval: nanos(h.intervalMs), Timeout: nanos(h.timeoutMs), Retries: h.retries, StartPeriod: nanos(h.startPeriodMs) };
}

/** `extra_hosts` is `host:ip`; Swarm's Hosts are `ip host` as in /etc/hosts. */
function hostsEntry(entry: string): string {
  const at = entry.indexOf(":");
  return `${entry.slice(at + 1)} ${entry.slice(0, at)}`;
}

function dnsConfig(spec: ContainerSpec): JsonObject | undefined {
  if (!spec.dns && !spec.dnsSearch && !spec.dnsOptions) return undefined;
  return { Nameservers: spec.dns, Search: spec.dnsSearch, Options: spec.dnsOptions };
}

function mount(m: MountSpec, stack: DesiredStack): JsonObject {
  if (m.type === "tmpfs") return { Type: "tmpfs", Target: m.target, ...(m.sizeBytes ? { TmpfsOptions: { SizeBytes: m.sizeBytes } } : {}) };
  if (m.type === "bind") return { Type: "bind", Source: m.source, Target: m.target, ReadOnly: m.readOnly };
  const volume = stack.volumes.find((v) => v.key === m.source);
  return {
    Type: "volume",
    Source: volume?.name ?? m.source ?? "",
    Target: m.target,
    ReadOnly: m.readOnly,
    VolumeOptions: {
      ...(m.nocopy ? { NoCopy: true } : {}),
      ...(volume && !volume.external
        ? { Labels: { ...volume.labels, [LABEL.stackNamespace]: stack.project }, DriverConfig: { Name: volume.driver ?? "local", Options: volume.driverOpts } }
        : {}),
    },
  };
}

/**
 * `tmpfs: ["/run:size=64m"]`: the size is the only option Swarm's tmpfs mounts take, with Compose's
 * units (64m is 64 MiB). (The manifest refuses `tmpfs:` under engine: swarm today; a volumes: tmpfs
 * entry is the way there.)
 */
function tmpfsEntry(entry: string): JsonObject {
  const [target, options = ""] = entry.split(/:(.*)/s) as [string, string?];
  const written = /(?:^|,)size=([^,]+)/.exec(options)?.[1];
  const size = written === undefined ? undefined : parseByteSize(written);
  return { Type: "tmpfs", Target: target, ...(size ? { TmpfsOptions: { SizeBytes: size } } : {}) };
}

function resources(spec: ContainerSpec, swarm: SwarmDeploy): JsonObject {
  return {
    Limits: { NanoCPUs: spec.nanoCpus, MemoryBytes: spec.memoryBytes, Pids: spec.pidsLimit },
    Reservations: { NanoCPUs: swarm.reservedNanoCpus, MemoryBytes: spec.memoryReservationBytes },
  };
}

function restartPolicy(swarm: SwarmDeploy): JsonObject {
  const r = swarm.restartPolicy;
  return { Condition: r.condition, Delay: nanos(r.delayMs), MaxAttempts: r.maxAttempts, Window: nanos(r.windowMs) };
}

function networks({ stack, service }: ServiceIdentity): JsonObject[] {
  const names = new Map(stack.networks.map((n) => [n.key, n.name]));
  // Like Compose, every task is reachable on each of its networks by the service's name.
  return service.spec.networks.map((n) => ({ Target: names.get(n.key) ?? n.key, Aliases: [...new Set([service.service.name, ...n.aliases])] }));
}

/**
 * Swarm never rolls a service back by itself: it pauses the update, and gitdock puts every service
 * the commit changed back to the last good commit (rollback-swarm.ts). A release Swarm rolled back
 * alone would be one service one spec back, and easy to report as synced.
 */
function updateConfig(u: UpdateConfig): JsonObject {
  return {
    Parallelism: u.parallelism,
    Delay: nanos(u.delayMs),
    FailureAction: "pause",
    Monitor: nanos(u.monitorMs),
    MaxFailureRatio: u.maxFailureRatio ?? 0,
    Order: u.order,
  };
}

function port(p: PortSpec, swarm: SwarmDeploy): JsonObject {
  const key = `${p.target}/${p.protocol}`;
  const published = p.published === undefined ? undefined : Number(p.published);
  return {
    Protocol: p.protocol,
    TargetPort: p.target,
    ...(published !== undefined && Number.isInteger(published) ? { PublishedPort: published } : {}),
    PublishMode: swarm.hostModePorts?.includes(key) ? "host" : "ingress",
  };
}

function nanos(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms * 1_000_000;
}

/** Drops undefined members and empty lists, so a body says only what the manifest does (and hashes the same way). */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const c: unknown = compact(v as unknown);
    if (c === undefined || (Array.isArray(c) && c.length === 0)) continue;
    out[k] = c;
  }
  return out as T;
}
