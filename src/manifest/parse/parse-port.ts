import { isIP } from "node:net";
import type { PortSpec } from "../../model.js";
import { formatPortRange, parsePortRange, rangeLength, type PortRange } from "./parse-port-range.js";

/** The ports, or every problem of the entry (all of them at once, not only the first). */
export type PortResult = { ports: PortSpec[] } | { errors: string[] };

export const PORT_SHORT_HINT = 'expected a port like "8080:80" (or "80", "127.0.0.1:8080:80", "8080-8081:80-81", "53/udp")';

const PROTOCOLS = ["tcp", "udp", "sctp"] as const;
type Protocol = (typeof PROTOCOLS)[number];

/**
 * Compose's short port syntax, `[[ip:]host:]container[/protocol]`. The last two `:`-separated
 * parts are the ports, so an unbracketed IPv6 address still works, as in Docker's own parser.
 * Ranges expand to one PortSpec per port pair; a host range against a single container port
 * stays one PortSpec whose host port Docker picks from the range.
 */
export function parsePortShort(value: string | number): PortResult {
  const text = String(value);
  const slash = text.lastIndexOf("/");
  const protocol = slash >= 0 ? text.slice(slash + 1) : "tcp";
  const errors: string[] = [];
  if (!isProtocol(protocol)) errors.push(`unknown protocol "${protocol}"; use tcp, udp or sctp`);
  const parts = (slash >= 0 ? text.slice(0, slash) : text).split(":");
  const container = parsePortRange(parts.at(-1) ?? "");
  if (!container) errors.push(PORT_SHORT_HINT);
  const hostText = parts.length >= 2 ? parts.at(-2) : undefined;
  const host = hostText ? parsePortRange(hostText) : undefined;
  if (hostText && !host) errors.push(`host port "${hostText}" is not a port or range in 1-65535`);
  const hostIp = parseHostIp(parts.length >= 3 ? parts.slice(0, -2).join(":") : "");
  if (hostIp === null) errors.push(`"${parts.slice(0, -2).join(":")}" is not an IP address`);
  if (errors.length > 0 || !container || !isProtocol(protocol) || hostIp === null) return { errors };
  return pairPorts(container, host, hostIp, protocol);
}

/** Long syntax: the schema has checked the types; here the host port, address and protocol. */
export function parsePortLong(input: {
  target: number;
  published?: string | number | undefined;
  host_ip?: string | undefined;
  protocol?: string | undefined;
}): PortResult {
  const protocol = input.protocol ?? "tcp";
  const errors: string[] = [];
  if (!isProtocol(protocol)) errors.push(`unknown protocol "${protocol}"; use tcp, udp or sctp`);
  const published = input.published === undefined ? undefined : parsePortRange(String(input.published));
  if (input.published !== undefined && !published) errors.push(`published "${input.published}" is not a port or range in 1-65535`);
  const hostIp = parseHostIp(input.host_ip ?? "");
  if (hostIp === null) errors.push(`host_ip "${input.host_ip}" is not an IP address`);
  if (errors.length > 0 || !isProtocol(protocol) || hostIp === null) return { errors };
  const target = { start: input.target, end: input.target };
  return pairPorts(target, published, hostIp, protocol);
}

function pairPorts(container: PortRange, host: PortRange | undefined, hostIp: string | undefined, protocol: Protocol): PortResult {
  const count = rangeLength(container);
  if (host === undefined) {
    return { ports: Array.from({ length: count }, (_, i) => port(container.start + i, undefined, hostIp, protocol)) };
  }
  if (count === 1) return { ports: [port(container.start, formatPortRange(host), hostIp, protocol)] };
  if (rangeLength(host) !== count) {
    return { errors: [`host ports ${formatPortRange(host)} and container ports ${formatPortRange(container)} differ in length`] };
  }
  return { ports: Array.from({ length: count }, (_, i) => port(container.start + i, String(host.start + i), hostIp, protocol)) };
}

function port(target: number, published: string | undefined, hostIp: string | undefined, protocol: Protocol): PortSpec {
  return { target, published, hostIp, protocol };
}

/** "" means any address (undefined); null means not an address. Brackets around IPv6 are optional. */
function parseHostIp(text: string): string | undefined | null {
  if (text === "") return undefined;
  const ip = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return isIP(ip) === 0 ? null : ip;
}

function isProtocol(text: string): text is Protocol {
  return (PROTOCOLS as readonly string[]).includes(text);
}
