import type Docker from "dockerode";
import { LABEL, containerName } from "../labels.js";
import type { ConfigMountSpec, ContainerSpec, DesiredStack, MountSpec, PortSpec, SecretMountSpec } from "../model.js";
import { secretMountPath } from "../manifest/index.js";
import { encodeFieldHashes } from "../plan/spec-hash.js";
import type { ResolvedService } from "../plan/types.js";

export interface ContainerConfig {
  name: string;
  create: Docker.ContainerCreateOptions;
  /** Networks beyond the first: API 1.41 takes one endpoint at create time, the rest are connected before start. */
  extraNetworks: { name: string; aliases: string[]; ipv4Address: string | undefined }[];
}

export interface ContainerIdentity {
  stack: DesiredStack;
  service: ResolvedService;
  number: number;
  commit: string;
  agentId: string;
}

/** Translate one replica of a resolved service into the Engine's create options. */
export function containerConfig(id: ContainerIdentity): ContainerConfig {
  const { stack, service, number } = id;
  const spec = service.spec;
  const name = containerName(stack.project, service.service.name, number);
  const networks = attachedNetworks(id, name);
  const [first, ...rest] = networks;
  const create: Docker.ContainerCreateOptions = {
    name,
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(id),
    ExposedPorts: Object.fromEntries(spec.ports.map((p) => [portKey(p), {}])),
    User: spec.user,
    WorkingDir: spec.workingDir,
    Hostname: spec.hostname,
    StopSignal: spec.stopSignal,
    StopTimeout: spec.stopGracePeriodMs === undefined ? undefined : Math.ceil(spec.stopGracePeriodMs / 1000),
    Healthcheck: spec.healthcheck && {
      Test: spec.healthcheck.test,
      Interval: nanos(spec.healthcheck.intervalMs),
      Timeout: nanos(spec.healthcheck.timeoutMs),
      Retries: spec.healthcheck.retries,
      StartPeriod: nanos(spec.healthcheck.startPeriodMs),
    },
    HostConfig: {
      NetworkMode: spec.networkMode ? networkMode(spec.networkMode, stack.project) : first?.name,
      PortBindings: portBindings(spec.ports),
      Mounts: [...spec.mounts.map((m) => mount(m, stack)), ...(spec.secrets ?? []).map(secretMount), ...(spec.configs ?? []).map(configMount)],
      RestartPolicy: restartPolicy(spec.restart),
      ReadonlyRootfs: spec.readOnly,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      Privileged: spec.privileged,
      ExtraHosts: spec.extraHosts,
      LogConfig: spec.logging && { Type: spec.logging.driver ?? "json-file", Config: spec.logging.options },
      Init: spec.init,
      Tmpfs: Object.fromEntries(spec.tmpfs.map((t) => [t.split(":")[0] as string, t.split(":").slice(1).join(":")])),
      Ulimits: Object.entries(spec.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })),
      Memory: spec.memoryBytes,
      NanoCpus: spec.nanoCpus,
      ...hostAccess(spec, stack.project),
    },
    NetworkingConfig: first
      ? { EndpointsConfig: { [first.name]: endpoint(first.aliases, first.ipv4Address) } }
      : undefined,
  };
  return { name, create, extraNetworks: rest };
}

function containerLabels({ stack, service, number, commit, agentId }: ContainerIdentity): Record<string, string> {
  return {
    ...service.spec.labels,
    [LABEL.composeProject]: stack.project,
    [LABEL.composeService]: service.service.name,
    [LABEL.composeNumber]: String(number),
    [LABEL.composeOneoff]: "False",
    [LABEL.managed]: "true",
    [LABEL.agent]: agentId,
    [LABEL.commit]: commit,
    [LABEL.specHash]: service.specHash,
    [LABEL.fieldHashes]: encodeFieldHashes(service.fieldHashes),
  };
}

function attachedNetworks({ stack, service }: ContainerIdentity, name: string) {
  if (service.spec.networkMode) return [];
  const names = new Map(stack.networks.map((n) => [n.key, n.name]));
  return service.spec.networks.map((n) => ({
    name: names.get(n.key) ?? n.key,
    // Compose makes every container reachable by its service name and its container name.
    aliases: [...new Set([service.service.name, name, ...n.aliases])],
    ipv4Address: n.ipv4Address,
  }));
}

function endpoint(aliases: string[], ipv4Address: string | undefined): Docker.EndpointSettings {
  return { Aliases: aliases, ...(ipv4Address ? { IPAMConfig: { IPv4Address: ipv4Address } } : {}) };
}

function networkMode(mode: string, project: string): string {
  // `service:db` means the first container of that service in the same stack.
  if (mode.startsWith("service:")) return `container:${containerName(project, mode.slice("service:".length), 1)}`;
  return mode;
}

function portKey(p: PortSpec): string {
  return `${p.target}/${p.protocol}`;
}

function portBindings(ports: PortSpec[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    if (p.published === "") continue;
    const list = (bindings[portKey(p)] ??= []);
    list.push({ HostIp: p.hostIp ?? "", HostPort: p.published ?? "" });
  }
  return bindings;
}

function mount(m: MountSpec, stack: DesiredStack): Docker.MountSettings {
  if (m.type === "tmpfs") {
    return { Type: "tmpfs", Source: "", Target: m.target, ...(m.sizeBytes ? { TmpfsOptions: { SizeBytes: m.sizeBytes, Mode: 0o1777 } } : {}) };
  }
  if (m.type === "bind") {
    return { Type: "bind", Source: m.source, Target: m.target, ReadOnly: m.readOnly };
  }
  const volume = stack.volumes.find((v) => v.key === m.source);
  return {
    Type: "volume",
    Source: volume?.name ?? m.source ?? "",
    Target: m.target,
    ReadOnly: m.readOnly,
    // @types/dockerode marks every VolumeOptions member required; the Engine does not.
    ...(m.nocopy ? { VolumeOptions: { NoCopy: true } as Docker.MountSettings["VolumeOptions"] } : {}),
  };
}

/** A secret is a read-only bind of its host file at /run/secrets/<target> (or an absolute target), as Compose mounts file secrets. */
function secretMount(s: SecretMountSpec): Docker.MountSettings {
  return { Type: "bind", Source: s.file, Target: secretMountPath(s.target), ReadOnly: true };
}

/** A config is a read-only bind of its object in gitdock's store, whose mode and owner are the ones asked for. */
function configMount(c: ConfigMountSpec): Docker.MountSettings {
  return { Type: "bind", Source: c.file, Target: c.target, ReadOnly: true };
}

/** `pid`, `ipc` and `devices`, only when the manifest sets them (the host policy has allowed them). */
function hostAccess(spec: ContainerSpec, project: string): Partial<Docker.HostConfig> {
  return {
    ...(spec.pidMode ? { PidMode: networkMode(spec.pidMode, project) } : {}),
    ...(spec.ipcMode ? { IpcMode: networkMode(spec.ipcMode, project) } : {}),
    ...(spec.devices ? { Devices: spec.devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions })) } : {}),
  };
}

function restartPolicy(restart: string | undefined): Docker.HostRestartPolicy {
  if (!restart || restart === "no") return { Name: "no" };
  const [name, count] = restart.split(":");
  return { Name: name ?? "no", ...(count ? { MaximumRetryCount: Number(count) } : {}) };
}

function nanos(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms * 1_000_000;
}
