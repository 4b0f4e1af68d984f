/**
 * Which entries of the Engine's `GET /containers/{id}/changes` are changes in place: files added,
 * changed or deleted in the container's writable layer that no volume, bind mount, tmpfs or Docker
 * mount covers, and no `x-gitdock.writable_paths` allows. Pure, and linear in the list's size.
 *
 * The Engine also lists what it made itself: the mount points it created (`A /data` for a volume
 * at `/data`, `A /run/secrets` on the way to a secret) and every directory above a change (`C
 * /www` when `/www/index.html` was added). Those say nothing of their own: a path a mount or an
 * allowed path lies under, and a directory only "changed" because something below it did, are left out.
 */

/** The Engine's kinds: 0 changed, 1 added, 2 deleted. */
export interface LayerChange {
  Path: string;
  Kind: number;
}

export interface LayerVerdict {
  added: number;
  changed: number;
  deleted: number;
  /** The paths, for the local log's excerpt only: file names in a container are its own output. */
  paths: string[];
}

export function changesInPlace(changes: readonly LayerChange[], allowed: readonly string[]): LayerVerdict {
  const roots = allowed.map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p));
  const under = (path: string, root: string) => root === "/" || path === root || path.startsWith(`${root}/`);
  const aboveAllowed = new Set(roots.flatMap(ancestors));
  const aboveChanges = new Set(changes.flatMap((c) => ancestors(c.Path)));
  const verdict: LayerVerdict = { added: 0, changed: 0, deleted: 0, paths: [] };
  for (const c of changes) {
    if (roots.some((r) => under(c.Path, r)) || aboveAllowed.has(c.Path)) continue;
    if (c.Kind === 0 && aboveChanges.has(c.Path)) continue;
    if (c.Kind === 1) verdict.added++;
    else if (c.Kind === 2) verdict.deleted++;
    else verdict.changed++;
    verdict.paths.push(c.Path);
  }
  return verdict;
}

export function changeCount(v: LayerVerdict): number {
  return v.added + v.changed + v.deleted;
}

/** `/a/b/c` → `/a`, `/a/b`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf("/", 1); i > 0; i = path.indexOf("/", i + 1)) out.push(path.slice(0, i));
  return out;
}
