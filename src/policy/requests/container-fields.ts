import { bindSourceAllowed, exposesDockerSocket, isUnderAny, normalizeHostPath } from "../host-paths.js";
import { touchesGuarded } from "../guarded-paths.js";
import { imageLocation, registryAllows } from "../image-registry.js";
import { parseInterval, portsAllowed } from "../port-ranges.js";
import { runsAsRoot } from "../runc-user.js";
import { canonicalSecurityOpt } from "../../manifest/parse/parse-security-opt.js";
import { judgeBindEntry } from "./bind-entries.js";
import type { RequestScope } from "./request-scope.js";
import { describe, eachItem, finding, isObject, nested, type FieldTable, type Finding, type Judge } from "./walk-fields.js";

/**
 * The container create request, field by field (Engine API 1.41: ContainerConfig, HostConfig with
 * its Resources, NetworkingConfig). Every field the Engine documents is listed; test/unit/
 * policy-request-fields.test.ts checks the list against the API's, so none is forgotten.
 */

export const image: Judge<RequestScope> = (value, field, { policy }) => {
  const where = imageLocation(String(value));
  if (policy.registries.some((e) => registryAllows(e, where))) return [];
  return finding(field, `registry ${where.registry}/${where.path} is not allowed by the host policy (allowed: ${list(policy.registries)})`);
};

export const user: Judge<RequestScope> = (value, field, { policy }) =>
  runsAsRoot(String(value)) && !policy.rootUser
    ? finding(field, `user ${describe(value)} runs as root (uid 0), which the host policy does not allow; use a non-root user`)
    : [];

export const capAdd: Judge<RequestScope> = eachItem((value, field, { policy }) => {
  const cap = canonicalCap(String(value));
  const allowed = policy.capAdd.map(canonicalCap);
  return allowed.includes(cap) ? [] : finding(field, `adding capability ${cap} is not allowed by the host policy (allowed: ${list(policy.capAdd)})`);
});

const devices: Judge<RequestScope> = eachItem((value, field, { policy }) => {
  const path = isObject(value) ? String(value["PathOnHost"] ?? "") : "";
  const allowed = policy.devices.map(normalizeHostPath);
  return allowed.includes(normalizeHostPath(path)) ? [] : finding(field, `device ${path} is not allowed by the host policy (allowed: ${list(policy.devices)})`);
});

const privileged: Judge<RequestScope> = (value, field, { policy }) =>
  value === true && !policy.privileged ? finding(field, "privileged containers are not allowed by the host policy") : [];

/** `container:<name>`: a container of the same stack (`service:<name>` in Compose), or one the policy names. */
function joinContainer(name: string, field: string, what: string, scope: RequestScope): Finding[] {
  const owned = scope.engine?.containers.get(name);
  if (scope.stackContainers.has(name) && owned !== false) return [];
  if (scope.policy.sharedNamespaces.includes(name)) return [];
  const why = scope.stackContainers.has(name) ? `${name} is held by a container gitdock does not manage` : `${name} is not a container of this stack`;
  return finding(
    field,
    `joining the ${what} namespace of container ${name} is not allowed by the host policy (${why}); use service:<name> within the stack, or list it in shared_namespaces`,
  );
}

const networkMode: Judge<RequestScope> = (value, field, scope) => {
  const mode = String(value);
  if (mode === "" || mode === "none") return [];
  if (mode === "host") return scope.policy.hostNetwork ? [] : finding(field, "network_mode: host is not allowed by the host policy");
  if (mode.startsWith("container:")) return joinContainer(mode.slice("container:".length), field, "network", scope);
  return networkName(mode, field, scope);
};

/** A network a container joins by name: one the stack owns, or an allowed external one; never the Engine's own. */
export function networkName(name: string, field: string, scope: RequestScope): Finding[] {
  if (ENGINE_NETWORKS.has(name)) {
    return finding(field, `the Engine's "${name}" network is not allowed by the host policy: use a network of the stack`);
  }
  const declared = scope.stackNetworks.get(name);
  if (!declared) return finding(field, `network ${name} is not a network of this stack`);
  if (declared.external) {
    return scope.policy.externalNetworks.includes(name)
      ? []
      : finding(
          field,
          `external network ${name} is not allowed by the host policy (allowed: ${list(scope.policy.externalNetworks)}); list it in external_networks`,
        );
  }
  return scope.engine?.networks.get(name) === false
    ? finding(field, `network ${name} already exists and gitdock does not own it; declare it external and list it in the policy's external_networks`)
    : [];
}

const ENGINE_NETWORKS = new Set(["host", "none", "bridge", "default"]);

const pidMode: Judge<RequestScope> = (value, field, scope) => {
  const mode = String(value);
  if (mode === "") return [];
  if (mode === "host") return scope.policy.hostPid ? [] : finding(field, "pid: host is not allowed by the host policy");
  if (mode.startsWith("container:")) return joinContainer(mode.slice("container:".length), field, "PID", scope);
  return finding(field, `PID mode ${describe(value)} is not one the host policy knows`);
};

const ipcMode: Judge<RequestScope> = (value, field, scope) => {
  const mode = String(value);
  if (["", "private", "shareable", "none"].includes(mode)) return [];
  if (mode === "host") return scope.policy.hostIpc ? [] : finding(field, "ipc: host is not allowed by the host policy");
  if (mode.startsWith("container:")) return joinContainer(mode.slice("container:".length), field, "IPC", scope);
  return finding(field, `IPC mode ${describe(value)} is not one the host policy knows`);
};

const deviceRequests: Judge<RequestScope> = (value, field, { policy }) =>
  Array.isArray(value) && value.length > 0 && !policy.deviceRequests
    ? finding(field, "device requests (GPUs and other devices a driver hands out) are not allowed by the host policy; set device_requests: true to allow them")
    : [];

/** An `external_links` entry, `container:alias`: a container of the stack, or one the policy names. */
const endpointLink: Judge<RequestScope> = eachItem((value, field, scope) => {
  const container = String(value).split(":")[0] ?? "";
  if (scope.stackContainers.has(container) || scope.policy.externalLinks.includes(container)) return [];
  return finding(
    field,
    `a link to container ${container} is not allowed by the host policy (allowed: ${list(scope.policy.externalLinks)}); list it in external_links`,
  );
});

const cgroupnsMode: Judge<RequestScope> = (value, field) =>
  value === "private" ? [] : finding(field, `cgroup namespace ${describe(value)} is not allowed by the host policy (only private)`);

const portBindings: Judge<RequestScope> = (value, field, { policy }) => {
  if (!isObject(value)) return finding(field, `expected a map of ports, got ${describe(value)}`);
  const allowed = policy.publishedPorts.map(parseInterval).filter((p) => p !== undefined);
  return Object.entries(value).flatMap(([port, bindings]) =>
    (Array.isArray(bindings) ? bindings : []).flatMap((b, i) => {
      const hostPort = isObject(b) ? String(b["HostPort"] ?? "") : "";
      if (hostPort === "") return []; // an ephemeral port: the kernel picks it
      const wanted = parseInterval(hostPort);
      return wanted && portsAllowed(wanted, allowed)
        ? []
        : finding(`${field}.${port}[${i}]`, `host port ${hostPort} is outside the ranges the host policy allows (${list(policy.publishedPorts)})`);
    }),
  );
};

const oomScoreAdj: Judge<RequestScope> = (value, field) =>
  typeof value === "number" && value >= 0
    ? []
    : finding(field, `a negative OOM score (${describe(value)}) would shield the container from the OOM killer at the host's expense`);

const securityOpt: Judge<RequestScope> = eachItem((value, field, { policy }) => {
  const allowed = policy.securityOpt.map(canonicalSecurityOpt);
  return allowed.includes(canonicalSecurityOpt(String(value)))
    ? []
    : finding(field, `security_opt ${describe(value)} is not allowed by the host policy (allowed: ${list(policy.securityOpt)})`);
});

const runtime: Judge<RequestScope> = (value, field, { policy }) =>
  value === "" || policy.runtimes.includes(String(value))
    ? []
    : finding(field, `runtime ${describe(value)} is not allowed by the host policy (allowed: ${list(policy.runtimes)})`);

const logConfig: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected an object, got ${describe(value)}`);
  const driver = String(value["Type"] ?? "");
  const out = nested<RequestScope>({ Type: "free", Config: "free" })(value, field, scope);
  if (driver !== "" && !scope.policy.logDrivers.includes(driver)) {
    out.push({ field: `${field}.Type`, message: `logging driver ${driver} is not allowed by the host policy (allowed: ${list(scope.policy.logDrivers)})` });
  }
  return out;
};

/** Sysctls are judged together with the namespaces they would reach: net.* with the host's network is the host's. */
function sysctlsJudge(hostConfig: Record<string, unknown>): Judge<RequestScope> {
  return sysctlsWithin({ hostNetwork: hostConfig["NetworkMode"] === "host", hostIpc: hostConfig["IpcMode"] === "host" });
}

/** The policy's sysctls, for a container whose network or IPC namespace may be the host's (a Swarm task on the `host` network). */
export function sysctlsWithin(namespaces: { hostNetwork: boolean; hostIpc: boolean }): Judge<RequestScope> {
  return (value, field, { policy }) => {
    if (!isObject(value)) return finding(field, `expected a map, got ${describe(value)}`);
    return Object.keys(value).flatMap((name) => {
      const at = `${field}.${name}`;
      if (!policy.sysctls.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p))) {
        return finding(at, `sysctl ${name} is not allowed by the host policy (allowed: ${list(policy.sysctls)})`);
      }
      if (name.startsWith("net.") && namespaces.hostNetwork) return finding(at, `sysctl ${name} with the host's network would change the host`);
      if (!name.startsWith("net.") && namespaces.hostIpc) return finding(at, `sysctl ${name} with the host's IPC namespace would change the host`);
      return [];
    });
  };
}

/**
 * A bind mount's source on the host: under a bind root (or read-only under the secret and gitdock's
 * own roots), never the agent's own files — except, read-only, gitdock's store of repository files
 * inside the state directory (guarded-paths.ts).
 */
export function bindSource(source: string, readOnly: boolean, field: string, scope: RequestScope): Finding[] {
  if (!source.startsWith("/")) return finding(field, `bind source ${describe(source)} is not an absolute path`);
  // A decrypted secret or config gitdock made for this project, mounted read-only: exactly that file.
  if (readOnly && scope.decryptedFiles?.has(source)) return [];
  const guarded = touchesGuarded(source, scope.guarded, { readOnly });
  if (guarded) return finding(field, `bind source ${source} would expose the agent's own ${guarded}; no policy allows that`);
  const { policy } = scope;
  if (bindSourceAllowed(source, policy.bindRoots)) return [];
  if (readOnly && !exposesDockerSocket(source) && isUnderAny(source, [...policy.secretRoots, ...scope.readOnlyRoots])) return [];
  if (exposesDockerSocket(source)) {
    return finding(
      field,
      `bind mount of ${source} would hand the container the Docker socket (root on this host); the host policy must list it exactly in bind_roots`,
    );
  }
  return finding(field, `bind mount source ${source} is outside the directories the host policy allows (${list(policy.bindRoots)})`);
}

const mountSource: Judge<RequestScope> = () => []; // judged with its Type in `mount`

const PROPAGATION_ALLOWED = new Set(["", "private", "rprivate", "slave", "rslave"]);

export const bindOptions = nested<RequestScope>({
  Propagation: (value, field) =>
    PROPAGATION_ALLOWED.has(String(value))
      ? []
      : finding(field, `mount propagation ${describe(value)} would let mounts cross between the container and the host`),
  NonRecursive: "free",
});

const volumeOptions = nested<RequestScope>({ NoCopy: "free", Labels: "free", DriverConfig: "default" });

const MOUNT_FIELDS: FieldTable<RequestScope> = {
  Target: "free",
  Source: mountSource,
  Type: "free",
  ReadOnly: "free",
  Consistency: "free",
  BindOptions: bindOptions,
  VolumeOptions: volumeOptions,
  TmpfsOptions: "free",
};

/** A mount's source by its type, a container's or a Swarm task's alike: binds and volumes judged, tmpfs sourceless, no other type. */
export function sourceByMountType(value: Record<string, unknown>, field: string, scope: RequestScope): Finding[] {
  const type = String(value["Type"] ?? "");
  const source = String(value["Source"] ?? "");
  if (type === "bind") return bindSource(source, value["ReadOnly"] === true, `${field}.Source`, scope);
  if (type === "volume") return volumeSource(source, `${field}.Source`, scope);
  if (type === "tmpfs") return source === "" ? [] : [{ field: `${field}.Source`, message: "a tmpfs mount has no source" }];
  // npipe is a host's named pipe (Windows), cluster a CSI volume the cluster's plugins provide.
  return [{ field: `${field}.Type`, message: `mount type ${describe(type)} is not allowed by the host policy (bind, volume and tmpfs are)` }];
}

const mount: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected a mount, got ${describe(value)}`);
  const out = nested(MOUNT_FIELDS)(value, field, scope);
  const type = String(value["Type"] ?? "");
  out.push(...sourceByMountType(value, field, scope));
  if (type !== "bind" && value["BindOptions"] !== undefined) out.push({ field: `${field}.BindOptions`, message: "bind options on a mount that is not a bind" });
  return out;
};

/** A named volume: one the stack declares (gitdock's own, or an external one the policy names). Anonymous volumes are the container's own. */
export function volumeSource(name: string, field: string, scope: RequestScope): Finding[] {
  if (name === "") return [];
  const declared = scope.stackVolumes.get(name);
  if (!declared) return finding(field, `volume ${name} is not a volume of this stack`);
  if (declared.external) {
    return scope.policy.externalVolumes.includes(name)
      ? []
      : finding(
          field,
          `external volume ${name} is not allowed by the host policy (allowed: ${list(scope.policy.externalVolumes)}); list it in external_volumes`,
        );
  }
  return scope.engine?.volumes.get(name) === false
    ? finding(field, `volume ${name} already exists and gitdock does not own it; declare it external and list it in the policy's external_volumes`)
    : [];
}

export const ENDPOINT_FIELDS: FieldTable<RequestScope> = {
  IPAMConfig: nested<RequestScope>({ IPv4Address: "free", IPv6Address: "free", LinkLocalIPs: "free" }),
  Links: endpointLink,
  Aliases: "free",
  NetworkID: "default",
  EndpointID: "default",
  Gateway: "default",
  IPAddress: "default",
  IPPrefixLen: "default",
  IPv6Gateway: "default",
  GlobalIPv6Address: "default",
  GlobalIPv6PrefixLen: "default",
  MacAddress: "default",
  DriverOpts: "default",
};

const endpointsConfig: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected a map of networks, got ${describe(value)}`);
  return Object.entries(value).flatMap(([name, endpoint]) => [
    ...networkName(name, `${field}.${name}`, scope),
    ...nested(ENDPOINT_FIELDS)(endpoint, `${field}.${name}`, scope),
  ]);
};

/** HostConfig: Resources (limits: free unless they reach the host) and the host settings. */
export function hostConfigFields(hostConfig: Record<string, unknown>): FieldTable<RequestScope> {
  return {
    // Resources
    CpuShares: "free",
    Memory: "free",
    CgroupParent: "default",
    BlkioWeight: "free",
    BlkioWeightDevice: "default",
    BlkioDeviceReadBps: "default",
    BlkioDeviceWriteBps: "default",
    BlkioDeviceReadIOps: "default",
    BlkioDeviceWriteIOps: "default",
    CpuPeriod: "free",
    CpuQuota: "free",
    CpuRealtimePeriod: "default",
    CpuRealtimeRuntime: "default",
    CpusetCpus: "free",
    CpusetMems: "free",
    Devices: devices,
    DeviceCgroupRules: "default",
    DeviceRequests: deviceRequests,
    KernelMemory: "default",
    KernelMemoryTCP: "default",
    MemoryReservation: "free",
    MemorySwap: "free",
    MemorySwappiness: "free",
    NanoCpus: "free",
    OomKillDisable: "default",
    Init: "free",
    PidsLimit: "free",
    Ulimits: "free",
    CpuCount: "default",
    CpuPercent: "default",
    IOMaximumIOps: "default",
    IOMaximumBandwidth: "default",
    // Host settings
    Binds: eachItem((value, field, scope) => judgeBindEntry(value, field, scope, bindSource)),
    ContainerIDFile: "default",
    LogConfig: logConfig,
    NetworkMode: networkMode,
    PortBindings: portBindings,
    RestartPolicy: "free",
    AutoRemove: "default",
    VolumeDriver: "default",
    VolumesFrom: "default",
    Mounts: eachItem(mount),
    CapAdd: capAdd,
    CapDrop: "free",
    CgroupnsMode: cgroupnsMode,
    Dns: "free",
    DnsOptions: "free",
    DnsSearch: "free",
    ExtraHosts: "free",
    GroupAdd: "free",
    IpcMode: ipcMode,
    Cgroup: "default",
    Links: "default",
    OomScoreAdj: oomScoreAdj,
    PidMode: pidMode,
    Privileged: privileged,
    PublishAllPorts: "free",
    ReadonlyRootfs: "free",
    SecurityOpt: securityOpt,
    StorageOpt: "default",
    Tmpfs: "free",
    UTSMode: "default",
    UsernsMode: "default",
    ShmSize: "free",
    Sysctls: sysctlsJudge(hostConfig),
    Runtime: runtime,
    ConsoleSize: "default",
    Isolation: "default",
    // Even an empty list replaces the Engine's defaults: nothing masked, nothing read-only in /proc.
    MaskedPaths: "absent",
    ReadonlyPaths: "absent",
  };
}

/**
 * The create body: ContainerConfig's fields, the query parameters `name` and `platform`, HostConfig
 * and NetworkingConfig. `platform` only picks which of the image's variants runs (a foreign one
 * needs emulation the host's root installed): it gives the container nothing.
 */
export const CONTAINER_CONFIG_FIELDS: FieldTable<RequestScope> = {
  name: "free",
  platform: "free",
  Hostname: "free",
  Domainname: "free",
  User: user,
  AttachStdin: "free",
  AttachStdout: "free",
  AttachStderr: "free",
  ExposedPorts: "free",
  Tty: "free",
  OpenStdin: "free",
  StdinOnce: "free",
  Env: "free",
  Cmd: "free",
  Healthcheck: "free",
  ArgsEscaped: "default",
  Image: image,
  Volumes: "free",
  WorkingDir: "free",
  Entrypoint: "free",
  NetworkDisabled: "free",
  MacAddress: "default",
  OnBuild: "default",
  Labels: "free",
  StopSignal: "free",
  StopTimeout: "free",
  Shell: "default",
  HostConfig: (value, field, scope) => nested(hostConfigFields(isObject(value) ? value : {}))(value, field, scope),
  NetworkingConfig: nested<RequestScope>({ EndpointsConfig: endpointsConfig }),
};

/** Docker takes `net_admin`, `CAP_NET_ADMIN` and `NET_ADMIN` alike. */
export function canonicalCap(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, "");
}

export function list(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}
