/**
 * Where an image comes from, by Docker's rules for references: the first path component is a
 * registry host when it has a `.` or a `:` or is `localhost`; otherwise the image is on Docker Hub
 * (`docker.io`), and a one-component name is under `library/`.
 */
export interface ImageLocation {
  registry: string;
  /** Repository path without tag or digest, e.g. `library/nginx`, `acme/shop/web`. */
  path: string;
}

const HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

export function imageLocation(image: string): ImageLocation {
  const name = image.split("@")[0] ?? "";
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const isHost = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = isHost ? canonicalRegistry(first) : "docker.io";
  let rest = isHost ? name.slice(slash + 1) : name;
  // A tag follows the last `:` of the last component (a registry port has been cut off above).
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon >= 0) rest = rest.slice(0, colon);
  const path = registry === "docker.io" && !rest.includes("/") ? `library/${rest}` : rest;
  return { registry, path };
}

function canonicalRegistry(host: string): string {
  const lower = host.toLowerCase();
  return HUB_ALIASES.has(lower) ? "docker.io" : lower;
}

/**
 * `entry` is `*`, a registry (`ghcr.io`, `127.0.0.1:5000`) or a registry with a path prefix
 * (`ghcr.io/acme`), which matches whole path components: `ghcr.io/acme` allows `ghcr.io/acme/web`,
 * not `ghcr.io/acmecorp/web`.
 */
export function registryAllows(entry: string, image: ImageLocation): boolean {
  if (entry === "*") return true;
  const slash = entry.indexOf("/");
  const registry = canonicalRegistry(slash < 0 ? entry : entry.slice(0, slash));
  if (registry !== image.registry) return false;
  const prefix = slash < 0 ? "" : entry.slice(slash + 1).replace(/\/+$/, "");
  return prefix === "" || image.path === prefix || image.path.startsWith(`${prefix}/`);
}
