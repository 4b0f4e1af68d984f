import type Docker from "dockerode";
import type { BindMountSpec, ConfigMountSpec, ContainerSpec, DesiredStack, MountSpec, SecretMountSpec } from "../model.js";
import { secretMountPath } from "../manifest/index.js";

/**
 * A container's mounts as the create request carries them. Engine API 1.41's `Mounts` have no
 * SELinux relabel option, so a bind with `:z`/`:Z` goes in the legacy `HostConfig.Binds` form,
 * `source:target:[ro,]z`, which the host policy judges exactly like a bind in `Mounts`. Everything
 * else stays in `Mounts`. `Binds` is left out when there is none.
 */
export function mountConfig(spec: ContainerSpec, stack: DesiredStack): Pick<Docker.HostConfig, "Mounts" | "Binds"> {
  const relabeled = spec.mounts.filter((m): m is BindMountSpec & { selinux: "z" | "Z" } => m.type === "bind" && m.selinux !== undefined);
  const mounts = [
    ...spec.mounts.filter((m) => !(m.type === "bind" && m.selinux !== undefined)).map((m) => mount(m, stack)),
    ...(spec.secrets ?? []).map(secretMount),
    ...(spec.configs ?? []).map(configMount),
  ];
  return { Mounts: mounts, ...(relabeled.length > 0 ? { Binds: relabeled.map(bindEntry) } : {}) };
}

export function bindEntry(m: BindMountSpec & { selinux: "z" | "Z" }): string {
  return `${m.source}:${m.target}:${m.readOnly ? "ro," : ""}${m.selinux}`;
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

/** A config is a read-only bind of its object in gitdock's store, whose name carries the mode and owner asked for. */
function configMount(c: ConfigMountSpec): Docker.MountSettings {
  return { Type: "bind", Source: c.file, Target: c.target, ReadOnly: true };
}
