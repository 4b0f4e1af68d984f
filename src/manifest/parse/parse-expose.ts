import { parsePortRange } from "./parse-port-range.js";

export type ExposeResult = { ports: string[] } | { error: string };

/** `expose:` entries: `8080`, `8000-8010`, `53/udp`; each port as the Engine's `port/protocol` key. */
export function parseExpose(entry: string | number): ExposeResult {
  const text = String(entry);
  const [range = "", protocol = "tcp", ...extra] = text.split("/");
  if (extra.length > 0 || !["tcp", "udp", "sctp"].includes(protocol)) {
    return { error: `"${text}" is not a port: expected a port or range like "8080", "8000-8010" or "53/udp"` };
  }
  const ports = parsePortRange(range);
  if (!ports) return { error: `"${text}" is not a port: ports are 1-65535, a range is "low-high"` };
  const out: string[] = [];
  for (let port = ports.start; port <= ports.end; port++) out.push(`${port}/${protocol}`);
  return { ports: out };
}
