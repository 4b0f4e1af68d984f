import { localBindDevice } from "../host-paths.js";
import { withinNetworkSubnets } from "../network-subnets.js";
import { bindSource, list, networkName } from "./container-fields.js";
import type { RequestScope } from "./request-scope.js";
import { describe, eachItem, finding, isObject, nested, type FieldTable, type Finding, type Judge } from "./walk-fields.js";

/**
 * Volume and network create requests (Engine API 1.41: VolumeCreateOptions, NetworkCreateRequest).
 * A volume is where a commit could get the host's file systems (a local volume of type proc,
 * overlay or a block device); a network is where it could reach the host's own interfaces.
 */

/** The local driver's options: `none` + `o: bind` is a bind mount (judged as one), `tmpfs` is memory; any other type only when the policy names it. */
export function localVolumeOptions(opts: Record<string, unknown>, field: string, scope: RequestScope): Finding[] {
  const out: Finding[] = [];
  for (const key of Object.keys(opts)) {
    if (!["type", "o", "device"].includes(key)) out.push({ field: `${field}.${key}`, message: `local volume option ${key} is not one the host policy knows` });
  }
  const type = String(opts["type"] ?? "");
  const o = String(opts["o"] ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  const device = opts["device"] === undefined ? undefined : String(opts["device"]);
  const isBind = localBindDevice("local", opts) !== undefined;
  if (type === "" && device === undefined && o.length === 0) return out;
  if (isBind) {
    if (type !== "none" && type !== "") out.push({ field: `${field}.type`, message: `a bind volume must have type none, not ${describe(type)}` });
    if (o.some((x) => x !== "bind" && x !== "rbind" && x !== "ro" && x !== "rw")) {
      out.push({ field: `${field}.o`, message: `bind volume options ${describe(opts["o"])}: only bind, rbind, ro and rw are allowed` });
    }
    out.push(...bindSource(device ?? "", false, `${field}.device`, scope));
    return out;
  }
  if (type === "tmpfs") {
    const bad = o.filter((x) => !/^(size|mode|uid|gid|nr_inodes|nr_blocks)=[0-9A-Za-z%]+$/.test(x));
    if (bad.length)
      out.push({ field: `${field}.o`, message: `tmpfs volume options ${bad.join(",")} are not allowed (size, mode, uid, gid, nr_inodes, nr_blocks are)` });
    return out;
  }
  if (type === "" || type === "none")
    return [...out, ...finding(`${field}.device`, `a local volume with a device must be a bind (type: none, o: bind) or a type the host policy allows`)];
  return scope.policy.volumeTypes.includes(type)
    ? out
    : [
        ...out,
        ...finding(
          `${field}.type`,
          `local volume type ${type} is not allowed by the host policy (allowed: bind, tmpfs${scope.policy.volumeTypes.map((t) => `, ${t}`).join("")}); list it in volume_types`,
        ),
      ];
}

export const volumeDriver: Judge<RequestScope> = (value, field, { policy }) =>
  policy.volumeDrivers.includes(String(value))
    ? []
    : finding(field, `volume driver ${describe(value)} is not allowed by the host policy (allowed: ${list(policy.volumeDrivers)})`);

export function volumeCreateFields(body: Record<string, unknown>): FieldTable<RequestScope> {
  const driver = String(body["Driver"] ?? "local");
  return {
    Name: (value, field, scope) =>
      scope.engine?.volumes.get(String(value)) === false ? finding(field, `volume ${describe(value)} exists and gitdock does not own it`) : [],
    Driver: volumeDriver,
    // Another driver's options mean what that driver says; the policy allowed the driver as a whole.
    DriverOpts: (value, field, scope) => {
      if (!isObject(value)) return finding(field, `expected a map, got ${describe(value)}`);
      return driver === "local" ? localVolumeOptions(value, field, scope) : [];
    },
    Labels: "free",
    ClusterVolumeSpec: "default",
  };
}

/** Bridge options that stay inside the network gitdock creates; `bridge.name` could adopt a host bridge, `host_binding_ipv4` move published ports. */
const SAFE_BRIDGE_OPTIONS = new Set([
  "com.docker.network.driver.mtu",
  "com.docker.network.bridge.enable_icc",
  "com.docker.network.bridge.enable_ip_masquerade",
]);

/**
 * Overlay options that stay inside the network: its MTU. `encrypted` sets up IPsec between the
 * nodes (host-wide kernel state no policy key allows yet), `com.docker.network.driver.overlay.vxlanid_list`
 * picks VXLAN ids, which could land in another network's traffic.
 */
const SAFE_OVERLAY_OPTIONS = new Set(["com.docker.network.driver.mtu"]);

/** The Engine's own networks, and under Swarm the routing mesh and the nodes' gateway bridge: a network of a stack never takes their names. */
const ENGINE_NETWORK_NAMES = new Set(["host", "none", "bridge", "default", "ingress", "docker_gwbridge"]);

export function networkCreateFields(body: Record<string, unknown>): FieldTable<RequestScope> {
  const driver = String(body["Driver"] ?? "bridge");
  return {
    Name: (value, field, scope) => {
      const name = String(value);
      if (ENGINE_NETWORK_NAMES.has(name)) return finding(field, `a network named ${name} would shadow the Engine's own`);
      return scope.engine?.networks.get(name) === false ? finding(field, `network ${name} exists and gitdock does not own it`) : [];
    },
    CheckDuplicate: "free",
    // Under Swarm a stack's networks are overlay networks, as `docker stack deploy` makes them.
    Driver: (value, field, { policy, swarm }) =>
      policy.networkDrivers.includes(String(value)) || (swarm && value === "overlay")
        ? []
        : finding(
            field,
            `network driver ${describe(value)} is not allowed by the host policy (allowed: ${list(policy.networkDrivers)}${swarm ? ", overlay" : ""})`,
          ),
    Internal: "free",
    Attachable: "free",
    // The routing mesh: every published port of every service would pass through it.
    Ingress: "default",
    IPAM: (value, field, scope) => nested(ipamFields(isObject(value) ? value : {}))(value, field, scope),
    EnableIPv6: "free",
    Options: (value, field) => {
      if (!isObject(value)) return finding(field, `expected a map, got ${describe(value)}`);
      const safe = driver === "bridge" ? SAFE_BRIDGE_OPTIONS : driver === "overlay" ? SAFE_OVERLAY_OPTIONS : undefined;
      if (!safe) return [];
      return Object.keys(value)
        .filter((k) => !safe.has(k))
        .flatMap((k) => finding(`${field}.${k}`, `${driver} option ${k} is not allowed by the host policy (allowed: ${[...safe].join(", ")})`));
    },
    Labels: "free",
    // An overlay network is the Swarm's: `swarm` is its scope, as the Engine would pick.
    Scope:
      driver === "overlay" ? (v, f) => (v === "" || v === "swarm" ? [] : finding(f, `an overlay network's scope is swarm, not ${describe(v)}`)) : "default",
    ConfigOnly: "default",
    ConfigFrom: "default",
  };
}

/**
 * A network's addresses: the Engine's `default` IPAM driver or one the policy names (whose options
 * are then its business), and every subnet, range, gateway and auxiliary address inside the
 * policy's `network_subnets`: a bridge's subnet becomes a route on the host.
 */
function ipamFields(ipam: Record<string, unknown>): FieldTable<RequestScope> {
  const driver = String(ipam["Driver"] ?? "default");
  return {
    Driver: (v, f, { policy }) =>
      v === "default" || policy.ipamDrivers.includes(String(v))
        ? []
        : finding(
            f,
            `IPAM driver ${describe(v)} is not allowed by the host policy (allowed: default${policy.ipamDrivers.map((d) => `, ${d}`).join("")}); list it in ipam_drivers`,
          ),
    Config: eachItem((pool, f, scope) =>
      nested<RequestScope>({ Subnet: inSubnets, IPRange: inSubnets, Gateway: inSubnets, AuxiliaryAddresses: auxInSubnets })(pool, f, scope),
    ),
    Options: driver === "default" ? "default" : "free",
  };
}

const inSubnets: Judge<RequestScope> = (value, field, { policy }) => {
  const text = String(value);
  return withinNetworkSubnets(text, policy.networkSubnets)
    ? []
    : finding(field, `${text} is outside the address space the host policy allows for networks (${list(policy.networkSubnets)}); list it in network_subnets`);
};

const auxInSubnets: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected a map of addresses, got ${describe(value)}`);
  return Object.entries(value).flatMap(([name, address]) => inSubnets(address, `${field}.${name}`, scope));
};

export { networkName };
