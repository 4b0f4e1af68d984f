import type Docker from "dockerode";
import { LABEL, replicaName } from "../labels.js";
import type { ContainerSpec, DesiredStack, PortSpec } from "../model.js";
import { encodeFieldHashes, HASH_SCHEME } from "../plan/spec-hash.js";
import type { ResolvedService } from "../plan/types.js";
import { mountConfig } from "./mount-config.js";
import { runToCompletionLabels } from "./run-to-completion-labels.js";
import { optionalHostConfig } from "./optional-host-config.js";

/** How a container joins one network: its aliases, a fixed address, and links to containers outside the stack. */
export interface NetworkAttachment {
  name: string;
  aliases: string[];
  ipv4Address: string | undefined;
  /** `external_links` as `container:alias`; resolvable only from this container. */
  links: string[];
}

export interface ContainerConfig {
  name: string;
  create: Docker.ContainerCreateOptions;
  /** Networks beyond the first: API 1.41 takes one endpoint at create time, the rest are connected before start. */
  extraNetworks: NetworkAttachment[];
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
  const name = replicaName(stack.project, service.service, number);
  const networks = attachedNetworks(id, name);
  const [first, ...rest] = networks;
  const create: Docker.ContainerCreateOptions = {
    name,
    // A query parameter, like `name`: the Engine looks the image up for this platform.
    ...(spec.platform ? { platform: spec.platform } : {}),
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(id),
    ExposedPorts: Object.fromEntries([...spec.ports.map(portKey), ...(spec.expose ?? [])].map((p) => [p, {}])),
    ...(spec.tty ? { Tty: true } : {}),
    ...(spec.stdinOpen ? { OpenStdin: true } : {}),
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
      NetworkMode: spec.networkMode ? namespaceMode(spec.networkMode, stack) : first?.name,
      PortBindings: portBindings(spec.ports),
      ...mountConfig(spec, stack),
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
      ...hostAccess(spec, stack),
      ...optionalHostConfig(spec),
    },
    NetworkingConfig: first ? { EndpointsConfig: { [first.name]: endpoint(first) } } : undefined,
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
    [LABEL.hashScheme]: HASH_SCHEME,
    ...(service.keyId ? { [LABEL.keyId]: service.keyId } : {}),
    ...runToCompletionLabels(service),
  };
}

function attachedNetworks({ stack, service }: ContainerIdentity, name: string): NetworkAttachment[] {
  if (service.spec.networkMode) return [];
  const names = new Map(stack.networks.map((n) => [n.key, n.name]));
  return service.spec.networks.map((n) => ({
    name: names.get(n.key) ?? n.key,
    // Compose makes every container reachable by its service name and its container name.
    aliases: [...new Set([service.service.name, name, ...n.aliases])],
    ipv4Address: n.ipv4Address,
    // On every network: a link resolves where the linked container is attached, and does nothing elsewhere.
    links: service.spec.externalLinks ?? [],
  }));
}

/** The endpoint settings of one network, at create and at connect alike. */
export function endpoint(n: Omit<NetworkAttachment, "name">): Docker.EndpointSettings {
  return { Aliases: n.aliases, ...(n.ipv4Address ? { IPAMConfig: { IPv4Address: n.ipv4Address } } : {}), ...(n.links.length ? { Links: n.links } : {}) };
}

/** `service:db` means the first container of that service in the same stack (its container_name, if it has one). */
function namespaceMode(mode: string, stack: DesiredStack): string {
  if (!mode.startsWith("service:")) return mode;
  const name = mode.slice("service:".length);
  const other = stack.services.find((s) => s.name === name) ?? { name };
  return `container:${replicaName(stack.project, other, 1)}`;
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

/** `pid`, `ipc` and `devices`, only when the manifest sets them (the host policy has allowed them). */
function hostAccess(spec: ContainerSpec, stack: DesiredStack): Partial<Docker.HostConfig> {
  return {
    ...(spec.pidMode ? { PidMode: namespaceMode(spec.pidMode, stack) } : {}),
    ...(spec.ipcMode ? { IpcMode: namespaceMode(spec.ipcMode, stack) } : {}),
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
