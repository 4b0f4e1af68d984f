import { bindOptions, sourceByMountType } from "./container-fields.js";
import type { RequestScope } from "./request-scope.js";
import { localVolumeOptions, volumeDriver } from "./resource-fields.js";
import { describe, eachItem, finding, isObject, nested, type FieldTable, type Finding, type Judge } from "./walk-fields.js";

/**
 * `ContainerSpec.Mounts` of a Swarm service (Engine API 1.41: Mount). Judged as a container's
 * `HostConfig.Mounts` are (container-fields.ts): a bind's source under the bind roots, never the
 * agent's own files or the Docker socket; a named volume one of the stack's. One difference: Swarm
 * creates a volume on each node where a task lands, from the mount's `VolumeOptions.DriverConfig`
 * (there is no volume create request), so that is judged as a volume create's Driver and
 * DriverOpts are (resource-fields.ts): an allowed driver, and for `local` no device but a bind
 * under the bind roots, tmpfs, or a type the policy lists.
 */

/** A volume's driver and its options, as a volume create's `Driver` and `DriverOpts`. */
const driverConfig: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected a driver, got ${describe(value)}`);
  const name = String(value["Name"] ?? "");
  return nested<RequestScope>({
    Name: (v, f, s) => (v === "" ? [] : volumeDriver(v, f, s)),
    Options: (v, f, s) => {
      if (!isObject(v)) return finding(f, `expected a map, got ${describe(v)}`);
      return name === "" || name === "local" ? localVolumeOptions(v, f, s) : [];
    },
  })(value, field, scope);
};

export const VOLUME_OPTIONS_FIELDS: FieldTable<RequestScope> = { NoCopy: "free", Labels: "free", DriverConfig: driverConfig };
export const TMPFS_OPTIONS_FIELDS: FieldTable<RequestScope> = { SizeBytes: "free", Mode: "free" };

export const SWARM_MOUNT_FIELDS: FieldTable<RequestScope> = {
  Target: "free",
  Source: "free", // judged with its Type in `swarmMount`
  Type: "free",
  ReadOnly: "free",
  Consistency: "free",
  BindOptions: bindOptions,
  VolumeOptions: nested(VOLUME_OPTIONS_FIELDS),
  TmpfsOptions: nested(TMPFS_OPTIONS_FIELDS),
};

function swarmMount(value: unknown, field: string, scope: RequestScope): Finding[] {
  if (!isObject(value)) return finding(field, `expected a mount, got ${describe(value)}`);
  const out = nested(SWARM_MOUNT_FIELDS)(value, field, scope);
  const type = String(value["Type"] ?? "");
  out.push(...sourceByMountType(value, field, scope));
  if (type !== "bind" && value["BindOptions"] !== undefined) out.push({ field: `${field}.BindOptions`, message: "bind options on a mount that is not a bind" });
  if (type !== "volume" && value["VolumeOptions"] !== undefined)
    out.push({ field: `${field}.VolumeOptions`, message: "volume options on a mount that is not a volume" });
  return out;
}

export const swarmMounts: Judge<RequestScope> = eachItem(swarmMount);
