import { isIP } from "node:net";

export type ExtraHostResult = { entry: string } | { error: string };

/** Docker's `--add-host` special value for the host's gateway address. */
const HOST_GATEWAY = "host-gateway";

/**
 * One `extra_hosts` entry as `host:ip`, the form Docker takes. The list form may be written
 * `host:ip` or `host=ip`; IPv6 addresses may be bracketed.
 */
export function parseExtraHostEntry(text: string): ExtraHostResult {
  const sep = text.includes("=") ? "=" : ":";
  const at = text.indexOf(sep);
  if (at <= 0) return { error: `expected "host:ip", got "${text}"` };
  return extraHost(text.slice(0, at), text.slice(at + 1));
}

export function extraHost(host: string, address: string): ExtraHostResult {
  const ip = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (host === "" || /[\s:=]/.test(host)) return { error: `"${host}" is not a host name` };
  if (ip !== HOST_GATEWAY && isIP(ip) === 0) return { error: `"${address}" is not an IP address (or host-gateway)` };
  return { entry: `${host}:${ip}` };
}
