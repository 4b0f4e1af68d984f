import { isUnder, normalizeHostPath } from "./host-paths.js";

/**
 * The agent's own files: its config, credentials, trust anchors, state directory. No commit may
 * bind-mount, read as an env_file or mount as a secret any of them, nor a directory that holds one,
 * whatever the policy's roots say: they would hand a container the agent's Git token, its host key,
 * or the power to change what the agent trusts.
 */
export interface GuardedPaths {
  paths: readonly string[];
}

/** The systemd unit's EnvironmentFile (systemd/gitdock.service), where the Git token may live. */
export const UNIT_ENVIRONMENT_FILE = "/etc/gitdock/gitdock.env";

export function guardedPaths(files: readonly (string | undefined)[]): GuardedPaths {
  const paths = [UNIT_ENVIRONMENT_FILE, ...files.filter((f): f is string => typeof f === "string" && f.startsWith("/"))];
  return { paths: [...new Set(paths.map(normalizeHostPath))] };
}

/** The guarded path that `path` is, holds or sits inside; undefined when it touches none. */
export function touchesGuarded(path: string, guarded: GuardedPaths): string | undefined {
  const p = normalizeHostPath(path);
  return guarded.paths.find((g) => isUnder(p, g) || isUnder(g, p));
}
