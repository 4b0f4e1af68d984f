import { isUnder, isUnderAny, normalizeHostPath } from "./host-paths.js";

/**
 * The agent's own files: its config, credentials, trust anchors, state directory. No commit may
 * bind-mount, read as an env_file or mount as a secret any of them, nor a directory that holds one,
 * whatever the policy's roots say: they would hand a container the agent's Git token, its host key,
 * or the power to change what the agent trusts.
 *
 * One exception, read-only only: gitdock's store of repository files (`<state_dir>/files`), from
 * which stacks mount the files they commit. It holds nothing but content of the repository (which
 * whoever can push already knows), named by digests gitdock computed; a read-only view of it
 * gives a container nothing else. Any other guarded path inside it stays guarded.
 */
export interface GuardedPaths {
  paths: readonly string[];
  /** Directories inside guarded ones that containers may mount read-only: gitdock's own stores. */
  readOnlyRoots: readonly string[];
}

/** The systemd unit's EnvironmentFile (systemd/gitdock.service), where the Git token may live. */
export const UNIT_ENVIRONMENT_FILE = "/etc/gitdock/gitdock.env";

export function guardedPaths(files: readonly (string | undefined)[], readOnlyRoots: readonly string[] = []): GuardedPaths {
  const paths = [UNIT_ENVIRONMENT_FILE, ...files.filter((f): f is string => typeof f === "string" && f.startsWith("/"))];
  return { paths: [...new Set(paths.map(normalizeHostPath))], readOnlyRoots: readOnlyRoots.map(normalizeHostPath) };
}

/**
 * The guarded path that `path` is, holds or sits inside; undefined when it touches none. With
 * `readOnly`, a path inside a read-only root is excused from the guarded directories that hold
 * that root (the state directory), not from any other.
 */
export function touchesGuarded(path: string, guarded: GuardedPaths, opts: { readOnly?: boolean } = {}): string | undefined {
  const p = normalizeHostPath(path);
  const store = opts.readOnly ? guarded.readOnlyRoots.find((r) => isUnder(p, r)) : undefined;
  return guarded.paths.find((g) => (isUnder(p, g) || isUnder(g, p)) && !(store !== undefined && isUnder(store, g) && g !== store));
}

/** A read-only mount inside gitdock's own stores, which the bind roots need not list. */
export function inReadOnlyStore(path: string, readOnly: boolean, guarded: GuardedPaths): boolean {
  return readOnly && isUnderAny(path, guarded.readOnlyRoots) && touchesGuarded(path, guarded, { readOnly }) === undefined;
}
