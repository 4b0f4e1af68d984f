import type { DesiredService, DesiredStack, NetworkSpec, PortSpec } from "../model.js";
import { withinNetworkSubnets } from "./network-subnets.js";
import { parsePortLong, parsePortShort } from "../manifest/parse/parse-port.js";
import { inReadOnlyStore, touchesGuarded, type GuardedPaths } from "./guarded-paths.js";
import { bindSourceAllowed, exposesDockerSocket, isUnderAny, localBindDevice, normalizeHostPath } from "./host-paths.js";
import type { HostPolicy } from "./host-policy.js";
import { secretsPolicyViolations } from "./secrets-policy.js";
import { imageLocation, registryAllows } from "./image-registry.js";
import { parseInterval, portsAllowed, type PortInterval } from "./port-ranges.js";
import { runsAsRoot } from "./runc-user.js";

import type { DocPath, Violation } from "./violation.js";

export type { DocPath, Violation } from "./violation.js";

/** Looks up what was written at a path of the stack's file, to find list items by their value. */
export type RawLookup = (path: DocPath) => unknown;

export interface RuleInput {
  stack: DesiredStack;
  service: DesiredService;
  policy: HostPolicy;
  ports: PortInterval[];
  raw: RawLookup;
  guarded: GuardedPaths;
}

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
    if (c.networkMode === "bridge" || c.networkMode === "default") {
      out.push(
        v(
          service,
          ["network_mode"],
          `network_mode: ${c.networkMode} joins the Engine's own bridge network, which the host policy does not allow; use a network of the stack`,
        ),
      );
    }
    if (c.pidMode === "host" && !policy.hostPid) out.push(v(service, ["pid"], "pid: host is not allowed by the host policy"));
    if (c.ipcMode === "host" && !policy.hostIpc) out.push(v(service, ["ipc"], "ipc: host is not allowed by the host policy"));
    return out;
  },
  function otherContainersNamespaces({ service, policy }) {
    const modes: [string, string | undefined][] = [
      ["network_mode", service.container.networkMode],
      ["pid", service.container.pidMode],
      ["ipc", service.container.ipcMode],
    ];
    return modes.flatMap(([key, mode]) => {
      if (!mode?.startsWith("container:") || policy.sharedNamespaces.includes(mode.slice("container:".length))) return [];
      return [
        v(
          service,
          [key],
          `${key}: ${mode} joins a container outside the stack, which the host policy does not allow; use service:<name> within the stack, or list the container in shared_namespaces`,
        ),
      ];
    });
  },
  function rootUser({ service, policy }) {
    const user = service.container.user;
    if (user === undefined || policy.rootUser || !runsAsRoot(user)) return [];
    return [v(service, ["user"], `user "${user}" runs as root (uid 0), which the host policy does not allow; use a non-root user`)];
  },
  function capabilities({ service, policy, raw }) {
    const allowed = new Set(policy.capAdd.map(canonicalCap));
    return service.container.capAdd
      .filter((cap) => !allowed.has(cap))
      .map((cap) => {
        const index = findIndex(raw(at(service, ["cap_add"])), (item) => typeof item === "string" && canonicalCap(item) === cap);
        return v(
          service,
          index === undefined ? ["cap_add"] : ["cap_add", index],
          `adding capability ${cap} is not allowed by the host policy (allowed: ${list(policy.capAdd)})`,
        );
      });
  },
  function devices({ service, policy }) {
    const allowed = new Set(policy.devices.map(normalizeHostPath));
    return (service.container.devices ?? []).flatMap((d, i) =>
      allowed.has(normalizeHostPath(d.source))
        ? []
        : [v(service, ["devices", i], `device ${d.source} is not allowed by the host policy (allowed: ${list(policy.devices)})`)],
    );
  },
  function deviceRequests({ service, policy }) {
    if (!service.container.deviceRequests || policy.deviceRequests) return [];
    return [
      v(
        service,
        ["deploy", "resources", "reservations", "devices"],
        "device requests (GPUs and other devices a driver hands out) are not allowed by the host policy; the host's root can set device_requests: true",
      ),
    ];
  },
  function externalLinks({ service, policy, raw }) {
    return (service.container.externalLinks ?? []).flatMap((link) => {
      const container = link.split(":")[0] ?? "";
      if (policy.externalLinks.includes(container)) return [];
      const index = findIndex(raw(at(service, ["external_links"])), (item) => typeof item === "string" && item.split(":")[0] === container);
      return [
        v(
          service,
          index === undefined ? ["external_links"] : ["external_links", index],
          `a link to container ${container} outside the stack is not allowed by the host policy (allowed: ${list(policy.externalLinks)})`,
        ),
      ];
    });
  },
  function bindMounts({ service, policy, raw, guarded }) {
    // A valid service has one mount per `volumes` entry, in order (normalize-mounts.ts).
    const written = raw(at(service, ["volumes"]));
    return service.container.mounts.flatMap((m, i) => {
      // Files of the repository are mounted read-only from gitdock's store, which the bind roots need not list.
      if (m.type !== "bind" || bindSourceAllowed(m.source, policy.bindRoots) || inReadOnlyStore(m.source, m.readOnly, guarded)) return [];
      const entry: unknown = Array.isArray(written) ? written[i] : undefined;
      const long = typeof entry === "object";
      const source = typeof entry === "string" ? entry.split(":")[0] : (entry as { source?: unknown } | undefined)?.source;
      const message =
        typeof source === "string" && !source.startsWith("/") ? dataDirMessage(source, m.source, policy.bindRoots) : bindMessage(m.source, policy.bindRoots);
      return [v(service, long ? ["volumes", i, "source"] : ["volumes", i], message)];
    });
  },
  function envFiles({ service, policy, raw, guarded }) {
    const written = raw(at(service, ["env_file"]));
    return service.envFiles.flatMap((file, i) => {
      if (typeof file !== "string") return []; // a file of the repository: read from the commit, nothing on the host
      const own = touchesGuarded(file, guarded);
      if (!own && isUnderAny(file, policy.envFileRoots)) return [];
      const path: DocPath =
        typeof written === "string" ? ["env_file"] : typeof (written as unknown[] | undefined)?.[i] === "object" ? ["env_file", i, "path"] : ["env_file", i];
      const message = own
        ? `env_file ${file} would hand the container the agent's own ${own}; no policy allows that`
        : `env_file ${file} is outside the directories the host policy allows (${list(policy.envFileRoots)})`;
      return [v(service, path, message)];
    });
  },
  function publishedPorts({ service, policy, ports, raw }) {
    return service.container.ports.flatMap((p) => {
      if (p.published === undefined || p.published === "") return []; // not published, or an ephemeral port the kernel picks
      const wanted = parseInterval(p.published);
      if (wanted && portsAllowed(wanted, ports)) return [];
      const index = findIndex(raw(at(service, ["ports"])), (item) => rawPortYields(item, p));
      return [
        v(
          service,
          index === undefined ? ["ports"] : ["ports", index],
          `host port ${p.published}/${p.protocol} is outside the ranges the host policy allows (${list(policy.publishedPorts)})`,
        ),
      ];
    });
  },
];

/** Rules over a stack's own declarations: secret files, network addresses and local volumes bound to a host path. */
export function stackViolations(stack: DesiredStack, policy: HostPolicy, guarded: GuardedPaths): Violation[] {
  const out: Violation[] = [];
  out.push(...secretsPolicyViolations(stack, policy.secrets));
  for (const s of stack.secrets ?? []) {
    // Decrypted by gitdock into its own tmpfs; where it came from is judged by secretsPolicyViolations.
    if (s.encrypted !== undefined) continue;
    const own = touchesGuarded(s.file, guarded);
    if (own)
      out.push({ path: ["secrets", s.key, "file"], message: `secret file ${s.file} would hand the container the agent's own ${own}; no policy allows that` });
    else if (!isUnderAny(s.file, policy.secretRoots)) {
      out.push({
        path: ["secrets", s.key, "file"],
        message: `secret file ${s.file} is outside the directories the host policy allows (${list(policy.secretRoots)})`,
      });
    }
  }
  for (const network of stack.networks) out.push(...ipamViolations(network, policy));
  for (const vol of stack.volumes) {
    const device = localBindDevice(vol.driver, vol.driverOpts);
    if (device !== undefined && !bindSourceAllowed(device, policy.bindRoots)) {
      out.push({ path: ["volumes", vol.key, "driver_opts", "device"], message: `a volume bound to ${device}: ${bindMessage(device, policy.bindRoots)}` });
    }
  }
  return out;
}

/** A relative path the repository does not hold is a data directory under `files.data_root`, which the host's root chose. */
function dataDirMessage(written: string, source: string, roots: string[]): string {
  return `"${written}" is not in the repository, so it is a data directory, ${source} on this host, which is outside the directories the host policy allows for bind mounts (${list(roots)}); set files.data_root in the agent's config to a directory under bind_roots (or commit the file, if it should come from the repository)`;
}

/** A network's IPAM driver and addresses (see the request rule in requests/resource-fields.ts). */
function ipamViolations(network: NetworkSpec, policy: HostPolicy): Violation[] {
  const ipam = network.ipam;
  if (!ipam) return [];
  const out: Violation[] = [];
  const base: DocPath = ["networks", network.key, "ipam"];
  if (ipam.driver !== undefined && !policy.ipamDrivers.includes(ipam.driver)) {
    out.push({
      path: [...base, "driver"],
      message: `IPAM driver ${ipam.driver} is not allowed by the host policy (allowed: default${policy.ipamDrivers.map((d) => `, ${d}`).join("")})`,
    });
  }
  ipam.pools.forEach((pool, i) => {
    const addresses: [DocPath, string | undefined][] = [
      [["subnet"], pool.subnet],
      [["ip_range"], pool.ipRange],
      [["gateway"], pool.gateway],
      ...Object.entries(pool.auxAddresses).map(([name, address]): [DocPath, string] => [["aux_addresses", name], address]),
    ];
    for (const [path, text] of addresses) {
      if (text === undefined || withinNetworkSubnets(text, policy.networkSubnets)) continue;
      out.push({
        path: [...base, "config", i, ...path],
        message: `${text} is outside the address space the host policy allows for networks (${list(policy.networkSubnets)})`,
      });
    }
  });
  return out;
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
