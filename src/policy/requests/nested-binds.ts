import { isUnder, localBindDevice, normalizeHostPath } from "../host-paths.js";
import { parseBindEntry } from "./bind-entries.js";
import type { EngineRequest, RequestViolation } from "./engine-request.js";
import { isObject } from "./walk-fields.js";

/** A host path some request mounts: a bind mount's source, or a local volume's bind device. */
export interface HostSource {
  path: string;
  writable: boolean;
  request: EngineRequest;
  field: string;
}

/**
 * A bind source inside a directory that a managed container mounts read-write (or the reverse) is
 * refused: that container could replace part of the path with a symlink between gitdock's check
 * and the Engine's mount, and the Engine follows symlinks. Volumes bound to a host directory count
 * as read-write mounts of it. Equal sources are fine: both containers see the same directory.
 */
export function nestedBindSources(requests: readonly EngineRequest[]): RequestViolation[] {
  const sources = hostSourcesOf(requests);
  const out: RequestViolation[] = [];
  for (const inner of sources) {
    const outer = sources.find((o) => o.writable && o.path !== inner.path && isUnder(inner.path, o.path));
    if (!outer) continue;
    out.push({
      origin: inner.request.origin,
      field: inner.field,
      message:
        `bind source ${inner.path} is inside ${outer.path}, which ${describeOwner(outer)} mounts read-write: ` +
        "that container could plant a symlink in the path; mount sibling directories instead",
    });
  }
  return out;
}

export function hostSourcesOf(requests: readonly EngineRequest[]): HostSource[] {
  return requests.flatMap(hostSources);
}

function hostSources(request: EngineRequest): HostSource[] {
  if (request.kind === "volume-create") {
    const opts = isObject(request.body["DriverOpts"]) ? request.body["DriverOpts"] : {};
    const device = localBindDevice(String(request.body["Driver"] ?? "local"), opts);
    return device?.startsWith("/") ? [{ path: normalizeHostPath(device), writable: true, request, field: "DriverOpts.device" }] : [];
  }
  if (request.kind === "service-create") return serviceHostSources(request);
  if (request.kind !== "container-create") return [];
  const hostConfig = isObject(request.body["HostConfig"]) ? request.body["HostConfig"] : {};
  const mounts = Array.isArray(hostConfig["Mounts"]) ? hostConfig["Mounts"] : [];
  const binds = Array.isArray(hostConfig["Binds"]) ? hostConfig["Binds"] : [];
  return [
    ...mounts.flatMap((m, i) =>
      isObject(m) && m["Type"] === "bind" && typeof m["Source"] === "string" && m["Source"].startsWith("/")
        ? [{ path: normalizeHostPath(m["Source"]), writable: m["ReadOnly"] !== true, request, field: `HostConfig.Mounts[${i}].Source` }]
        : [],
    ),
    // The legacy form of a bind (gitdock sends it for SELinux relabeling): the same host path rules.
    ...binds.flatMap((entry, i) => {
      const bind = typeof entry === "string" ? parseBindEntry(entry) : undefined;
      return bind?.source.startsWith("/") ? [{ path: normalizeHostPath(bind.source), writable: !bind.readOnly, request, field: `HostConfig.Binds[${i}]` }] : [];
    }),
  ];
}

/**
 * A service's bind mounts, and the volumes its mounts have Swarm create on each node bound to a
 * host directory (`VolumeOptions.DriverConfig`, which stands in for a volume create).
 */
function serviceHostSources(request: EngineRequest): HostSource[] {
  const task = isObject(request.body["TaskTemplate"]) ? request.body["TaskTemplate"] : {};
  const spec = isObject(task["ContainerSpec"]) ? task["ContainerSpec"] : {};
  const mounts = Array.isArray(spec["Mounts"]) ? spec["Mounts"] : [];
  const at = "TaskTemplate.ContainerSpec.Mounts";
  return mounts.flatMap((m, i): HostSource[] => {
    if (!isObject(m)) return [];
    if (m["Type"] === "bind" && typeof m["Source"] === "string" && m["Source"].startsWith("/")) {
      return [{ path: normalizeHostPath(m["Source"]), writable: m["ReadOnly"] !== true, request, field: `${at}[${i}].Source` }];
    }
    const volume = isObject(m["VolumeOptions"]) ? m["VolumeOptions"] : {};
    const driver = isObject(volume["DriverConfig"]) ? volume["DriverConfig"] : undefined;
    if (m["Type"] !== "volume" || !driver) return [];
    const opts = isObject(driver["Options"]) ? driver["Options"] : {};
    const device = localBindDevice(String(driver["Name"] || "local"), opts);
    return device?.startsWith("/")
      ? [{ path: normalizeHostPath(device), writable: true, request, field: `${at}[${i}].VolumeOptions.DriverConfig.Options.device` }]
      : [];
  });
}

function describeOwner(source: HostSource): string {
  if (source.request.kind === "volume-create") return `volume ${String(source.request.body["Name"] ?? "")}`;
  if (source.request.kind === "service-create") return `service ${String(source.request.body["Name"] ?? "")}`;
  return `container ${String(source.request.body["name"] ?? "")}`;
}
