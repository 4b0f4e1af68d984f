import { posix } from "node:path";

/** Where the Engine's API socket is found; /var/run is a symlink to /run on current systems. */
export const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"] as const;

/** `/srv/../etc/` → `/etc`: a path is judged by where it leads, not how it is spelled. */
export function normalizeHostPath(path: string): string {
  const clean = posix.normalize(path);
  return clean.length > 1 ? clean.replace(/\/+$/, "") : clean;
}

/** True when `path` is `root` or inside it. */
export function isUnder(path: string, root: string): boolean {
  const p = normalizeHostPath(path);
  const r = normalizeHostPath(root);
  return r === "/" || p === r || p.startsWith(`${r}/`);
}

export function isUnderAny(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => isUnder(path, r));
}

/** The socket itself, or a directory that holds it (`/`, `/var`, `/run`, ...): mounting it hands out root. */
export function exposesDockerSocket(path: string): boolean {
  const p = normalizeHostPath(path);
  return DOCKER_SOCKETS.some((s) => s === p || p === "/" || s.startsWith(`${p}/`));
}

/**
 * A bind source is allowed when it is under an allowed root, except that the Docker socket and the
 * directories holding it must be listed exactly: allowing `/` or `/var` does not allow them.
 */
export function bindSourceAllowed(path: string, roots: readonly string[]): boolean {
  const p = normalizeHostPath(path);
  if (exposesDockerSocket(p)) return roots.some((r) => normalizeHostPath(r) === p);
  return isUnderAny(p, roots);
}

/**
 * The host directory a local volume mounts, when it is a bind mount in disguise: `o: bind` (or
 * `rbind`) whatever the device looks like, or no type (or `none`) with an absolute device path.
 * Undefined for other drivers and for real file systems (`type: nfs`, judged by volume_types).
 */
export function localBindDevice(driver: string | undefined, opts: Readonly<Record<string, unknown>>): string | undefined {
  if (driver !== undefined && driver !== "local") return undefined;
  const device = typeof opts["device"] === "string" ? opts["device"] : undefined;
  const type = typeof opts["type"] === "string" ? opts["type"] : "";
  const bind = String(opts["o"] ?? "")
    .split(",")
    .some((o) => o.trim() === "bind" || o.trim() === "rbind");
  return device !== undefined && (bind || ((type === "" || type === "none") && device.startsWith("/"))) ? device : undefined;
}
