import type { DesiredService, DesiredStack, PortSpec } from "../model.js";
import { parsePortLong, parsePortShort } from "../manifest/parse/parse-port.js";
import { bindSourceAllowed, exposesDockerSocket, isUnderAny, normalizeHostPath } from "./host-paths.js";
import type { HostPolicy } from "./host-policy.js";
import { imageLocation, registryAllows } from "./image-registry.js";
import { parseInterval, portsAllowed, type PortInterval } from "./port-ranges.js";

/** A document path: map keys and list indexes, as the manifest's problems use them. */
export type DocPath = (string | number)[];

export interface Violation {
  path: DocPath;
  message: string;
}

/** Looks up what was written at a path of the stack's file, to find list items by their value. */
export type RawLookup = (path: DocPath) => unknown;

export interface RuleInput {
  stack: DesiredStack;
  service: DesiredService;
  policy: HostPolicy;
  ports: PortInterval[];
  raw: RawLookup;
}

const ROOT_USER = /^(?:root|0+)(?::.*)?$/;

/** One rule per thing a commit may ask of the host; each says what is allowed when it refuses. */
export const SERVICE_RULES: ((r: RuleInput) => Violation[])[] = [
  function registries({ service, policy }) {
    const where = imageLocation(service.container.image);
    if (policy.registries.some((e) => registryAllows(e, where))) return [];
    return [v(service, ["image"], `registry ${where.registry}/${where.path} is not allowed by the host policy (allowed: ${list(policy.registries)})`)];
  },
  function privileged({ service, policy }) {
    return service.container.privileged && !policy.privileged ? [v(service, ["privileged"], "privileged containers are not allowed by the host policy")] : [];
  },
  function hostNamespaces({ service, policy }) {
    const c = service.container;
    const out: Violation[] = [];
    if (c.networkMode === "host" && !policy.hostNetwork) out.push(v(service, ["network_mode"], "network_mode: host is not allowed by the host policy"));
    if (c.pidMode === "host" && !policy.hostPid) out.push(v(service, ["pid"], "pid: host is not allowed by the host policy"));
    if (c.ipcMode === "host" && !policy.hostIpc) out.push(v(service, ["ipc"], "ipc: host is not allowed by the host policy"));
    return out;
  },
  function rootUser({ service, policy }) {
    const user = service.container.user;
    if (user === undefined || policy.rootUser || !ROOT_USER.test(user)) return [];
    return [v(service, ["user"], `user "${user}" runs as root, which the host policy does not allow; use a non-root user`)];
  },
  function capabilities({ service, policy, raw }) {
    const allowed = new Set(policy.capAdd.map(canonicalCap));
    return service.container.capAdd
      .filter((cap) => !allowed.has(cap))
      .map((cap) => {
        const index = findIndex(raw(at(service, ["cap_add"])), (item) => typeof item === "string" && canonicalCap(item) === cap);
        return v(service, index === undefined ? ["cap_add"] : ["cap_add", index], `adding capability ${cap} is not allowed by the host policy (allowed: ${list(policy.capAdd)})`);
      });
  },
  function devices({ service, policy }) {
    const allowed = new Set(policy.devices.map(normalizeHostPath));
    return (service.container.devices ?? []).flatMap((d, i) =>
      allowed.has(normalizeHostPath(d.source)) ? [] : [v(service, ["devices", i], `device ${d.source} is not allowed by the host policy (allowed: ${list(policy.devices)})`)],
    );
  },
  function bindMounts({ service, policy, raw }) {
    // A valid service has one mount per `volumes` entry, in order (normalize-mounts.ts).
    const written = raw(at(service, ["volumes"]));
    return service.container.mounts.flatMap((m, i) => {
      if (m.type !== "bind" || bindSourceAllowed(m.source, policy.bindRoots)) return [];
      const long = Array.isArray(written) && typeof written[i] === "object";
      return [v(service, long ? ["volumes", i, "source"] : ["volumes", i], bindMessage(m.source, policy.bindRoots))];
    });
  },
  function envFiles({ service, policy, raw }) {
    const written = raw(at(service, ["env_file"]));
    return service.envFiles.flatMap((file, i) => {
      if (isUnderAny(file, policy.envFileRoots)) return [];
      const path: DocPath = typeof written === "string" ? ["env_file"] : typeof (written as unknown[] | undefined)?.[i] === "object" ? ["env_file", i, "path"] : ["env_file", i];
      return [v(service, path, `env_file ${file} is outside the directories the host policy allows (${list(policy.envFileRoots)})`)];
    });
  },
  function publishedPorts({ service, policy, ports, raw }) {
    return service.container.ports.flatMap((p) => {
      if (p.published === undefined || p.published === "") return []; // not published, or an ephemeral port the kernel picks
      const wanted = parseInterval(p.published);
      if (wanted && portsAllowed(wanted, ports)) return [];
      const index = findIndex(raw(at(service, ["ports"])), (item) => rawPortYields(item, p));
      return [v(service, index === undefined ? ["ports"] : ["ports", index], `host port ${p.published}/${p.protocol} is outside the ranges the host policy allows (${list(policy.publishedPorts)})`)];
    });
  },
];

/** Rules over a stack's own declarations: secret files and local volumes bound to a host path. */
export function stackViolations(stack: DesiredStack, policy: HostPolicy): Violation[] {
  const out: Violation[] = [];
  for (const s of stack.secrets ?? []) {
    if (!isUnderAny(s.file, policy.secretRoots)) {
      out.push({ path: ["secrets", s.key, "file"], message: `secret file ${s.file} is outside the directories the host policy allows (${list(policy.secretRoots)})` });
    }
  }
  for (const vol of stack.volumes) {
    const device = localBindDevice(vol.driver, vol.driverOpts);
    if (device !== undefined && !bindSourceAllowed(device, policy.bindRoots)) {
      out.push({ path: ["volumes", vol.key, "driver_opts", "device"], message: `a volume bound to ${device}: ${bindMessage(device, policy.bindRoots)}` });
    }
  }
  return out;
}

/** The local driver's `type: none, o: bind, device: /path` makes a named volume a bind mount in disguise. */
function localBindDevice(driver: string | undefined, opts: Record<string, string>): string | undefined {
  if (driver !== undefined && driver !== "local") return undefined;
  const device = opts["device"];
  const bind = (opts["o"] ?? "").split(",").some((o) => o.trim() === "bind" || o.trim() === "rbind");
  return device !== undefined && (bind || device.startsWith("/")) ? device : undefined;
}

function bindMessage(source: string, roots: string[]): string {
  if (exposesDockerSocket(source)) {
    return `bind mount of ${source} would hand the container the Docker socket (root on this host); the host policy must list it exactly in bind_roots`;
  }
  return `bind mount source ${source} is outside the directories the host policy allows (${list(roots)})`;
}

/** Docker takes `net_admin`, `CAP_NET_ADMIN` and `NET_ADMIN` alike (as normalize-host-settings does). */
function canonicalCap(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, "");
}

function rawPortYields(item: unknown, p: PortSpec): boolean {
  let result;
  if (typeof item === "string" || typeof item === "number") result = parsePortShort(item);
  else if (typeof item === "object" && item !== null && typeof (item as { target?: unknown }).target === "number") {
    result = parsePortLong(item as Parameters<typeof parsePortLong>[0]);
  } else return false;
  return "ports" in result && result.ports.some((q) => q.published === p.published && q.protocol === p.protocol && q.target === p.target);
}

function findIndex(value: unknown, match: (item: unknown) => boolean): number | undefined {
  if (!Array.isArray(value)) return undefined;
  const i = value.findIndex(match);
  return i < 0 ? undefined : i;
}

function at(service: DesiredService, rest: DocPath): DocPath {
  return ["services", service.name, ...rest];
}

function v(service: DesiredService, rest: DocPath, message: string): Violation {
  return { path: at(service, rest), message };
}

function list(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}
