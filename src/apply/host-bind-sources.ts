import { lstat, mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { BindSourceRefusedError } from "../errors.js";
import { isUnder, normalizeHostPath } from "../policy/host-paths.js";

/**
 * Bind sources checked on the host itself, right before the Engine is asked to mount them. The
 * policy judged the path as written; the Engine follows symlinks, so a symlink below an allowed
 * root (planted by a container that can write there, or left on the host) would lead the mount
 * anywhere. Each component below the root is looked at with lstat, never followed: a symlink
 * refuses the mount. The allowed root itself is the host's root's choice and is resolved as is
 * (so /var/run → /run works for an explicitly allowed socket).
 *
 * The residual race (a component replaced between this check and the Engine's mount) needs a
 * writer inside the allowed root; the policy refuses bind sources nested in another container's
 * read-write bind (policy/requests/nested-binds.ts), so only processes on the host remain, which
 * are trusted. README: "Residual risks".
 */
export type HostPathVerdict = { ok: true } | { ok: false; reason: string };

export interface HostPathOptions {
  /** Create missing directories (Compose's create_host_path), one component at a time, never through a symlink. */
  create: boolean;
}

export async function checkHostPath(path: string, roots: readonly string[], opts: HostPathOptions): Promise<HostPathVerdict> {
  const source = normalizeHostPath(path);
  const root = roots
    .map(normalizeHostPath)
    .filter((r) => isUnder(source, r))
    .sort((a, b) => b.length - a.length)[0];
  if (root === undefined) return { ok: false, reason: `${source} is outside the allowed roots` };
  let current = await resolveRoot(root, opts.create);
  if (current === undefined) return opts.create ? { ok: false, reason: `the allowed root ${root} does not exist` } : { ok: true };
  const rest = source === root ? [] : source.slice(root === "/" ? 1 : root.length + 1).split("/");
  for (const [i, part] of rest.entries()) {
    const next = join(current, part);
    const isLast = i === rest.length - 1;
    const verdict = await checkComponent(next, isLast, opts.create);
    if (verdict === "missing") return { ok: true }; // the Engine reports a missing source itself
    if (verdict !== "ok") return { ok: false, reason: `${source}: ${verdict}` };
    current = next;
  }
  return { ok: true };
}

async function resolveRoot(root: string, create: boolean): Promise<string | undefined> {
  try {
    return await realpath(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    if (!create) return undefined;
    await mkdir(root, { recursive: true, mode: 0o755 });
    return realpath(root);
  }
}

/** "ok", "missing" (nothing there and nothing to create), or why the component is refused. */
async function checkComponent(path: string, isLast: boolean, create: boolean): Promise<string> {
  let stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (stat === undefined) {
    if (!create) return "missing";
    // Not recursive: each directory is made inside one that was just checked. EEXIST means someone
    // made it meanwhile; it is checked like any other.
    await mkdir(path, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
    stat = await lstat(path);
  }
  if (stat.isSymbolicLink()) return `${path} is a symbolic link; bind sources are never followed through symlinks`;
  if (!isLast && !stat.isDirectory()) return `${path} is not a directory`;
  return "ok";
}

/** The roots a bind source may lie under: read-write mounts only under the bind roots. */
export interface BindRoots {
  readWrite: readonly string[];
  /** Bind roots plus the secret roots and gitdock's own read-only stores. */
  readOnly: readonly string[];
}

export interface HostBind {
  source: string;
  readOnly: boolean;
  /** Create it when missing (Compose's create_host_path for the short syntax). */
  create: boolean;
}

/** Checks every bind source; throws BindSourceRefusedError naming the first refused one. */
export async function guardBindSources(binds: readonly HostBind[], roots: BindRoots, what: string): Promise<void> {
  for (const b of binds) {
    const verdict = await checkHostPath(b.source, b.readOnly ? roots.readOnly : roots.readWrite, { create: b.create });
    if (!verdict.ok) {
      throw new BindSourceRefusedError(`${what}: bind source refused: ${verdict.reason}`, {
        data: { source: normalizeHostPath(b.source) },
        hint: "Remove the symlink on the host (or stop the container that made it) and push a new commit, or run `gitdock retry`.",
      });
    }
  }
}

/**
 * The store a stack's files of the repository were made in (src/files/): its mounts reach it
 * read-only. The store's path comes from the host's settings, never from the commit.
 */
export function withStoreRoots(roots: BindRoots, objects: readonly { store: string }[] | undefined): BindRoots {
  const stores = [...new Set((objects ?? []).map((o) => o.store))];
  return stores.length ? { readWrite: roots.readWrite, readOnly: [...roots.readOnly, ...stores] } : roots;
}

/** The roots the policy allows for bind sources, by how they are mounted. */
export function bindRootsOf(policy: { bindRoots: readonly string[]; secretRoots: readonly string[] }, readOnlyRoots: readonly string[] = []): BindRoots {
  return { readWrite: policy.bindRoots, readOnly: [...policy.bindRoots, ...policy.secretRoots, ...readOnlyRoots] };
}
