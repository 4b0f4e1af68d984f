/**
 * What the in-place watch needs to know of a container, read once from its inspect (a container's
 * configuration never changes): whether its root filesystem is read-only (nothing to scan), where
 * something is mounted over its writable layer (volumes, bind mounts, tmpfs, Docker's own files),
 * and the command its Docker healthcheck runs (those execs are not changes). Pure.
 */
import type Docker from "dockerode";

export interface ContainerProfile {
  readOnly: boolean;
  /** Absolute paths whose contents are not the writable layer's. */
  mounted: string[];
  /** The healthcheck's exec command as the Engine's events spell it, or undefined without one. */
  healthcheckCommand: string | undefined;
}

/** Files Docker itself mounts into every container (and the init binary with `init: true`). */
const DOCKER_MOUNTS = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev", "/proc", "/sys"];

export function profileOf(info: Docker.ContainerInspectInfo): ContainerProfile {
  const host = info.HostConfig ?? {};
  const mounted = [
    ...(info.Mounts ?? []).map((m) => m.Destination),
    ...Object.keys((host as { Tmpfs?: Record<string, string> }).Tmpfs ?? {}),
    ...((host as { Init?: boolean }).Init ? ["/sbin/docker-init"] : []),
    ...DOCKER_MOUNTS,
  ];
  return { readOnly: host.ReadonlyRootfs === true, mounted: [...new Set(mounted)], healthcheckCommand: healthcheckCommand(info.Config) };
}

/**
 * The Engine runs a healthcheck as an exec and reports it as `exec_start: <entrypoint> <args...>`:
 * `CMD` runs its arguments, `CMD-SHELL` runs the container's shell (`SHELL`, default `/bin/sh -c`)
 * with the command (moby's daemon/health.go). The same string, so its events are told apart.
 */
export function healthcheckCommand(config: { Healthcheck?: { Test?: string[] }; Shell?: string[] } | undefined): string | undefined {
  const test = config?.Healthcheck?.Test ?? [];
  const [how, ...rest] = test;
  if (how === "CMD") return joined(rest);
  if (how === "CMD-SHELL") return joined([...(config?.Shell?.length ? config.Shell : ["/bin/sh", "-c"]), ...rest]);
  return undefined;
}

function joined(args: string[]): string | undefined {
  return args.length ? args.join(" ").trim() : undefined;
}
