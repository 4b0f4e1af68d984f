import type { ContainerSpec, DeviceSpec } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

type HostAccess = Pick<ContainerSpec, "pidMode" | "ipcMode" | "devices">;

/**
 * `pid`, `ipc` and `devices`, each only when written: the keys stay out of the spec otherwise, so
 * containers made before gitdock knew them keep their spec hash.
 */
export function normalizeHostAccess(service: ServiceInput, problems: ProblemSink): HostAccess {
  const out: HostAccess = {};
  if (service.pid !== undefined) out.pidMode = service.pid;
  // `private` is Docker's default IPC mode for a container: the same as leaving it out.
  if (service.ipc !== undefined && service.ipc !== "private") out.ipcMode = service.ipc;
  const devices = (service.devices ?? []).flatMap((entry, i) => {
    const device = parseDevice(entry);
    if (typeof device === "string") {
      problems.report(["devices", i], device);
      return [];
    }
    return [device];
  });
  if (devices.length > 0) out.devices = devices;
  return out;
}

/** `source[:target[:permissions]]`, both paths absolute, permissions a subset of `rwm`. */
export function parseDevice(text: string): DeviceSpec | string {
  const [source = "", target = source, permissions = "rwm", ...extra] = text.split(":");
  if (extra.length > 0) return `expected "/dev/host[:/dev/container[:rwm]]", got "${text}"`;
  if (!source.startsWith("/")) return `device "${source}" must be an absolute host path (CDI device names are not supported)`;
  if (!target.startsWith("/")) return `container path "${target}" must be absolute`;
  if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions)) return `permissions "${permissions}" must be made of r, w and m`;
  return { source, target, permissions };
}
