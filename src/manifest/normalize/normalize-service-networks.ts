import { isIP } from "node:net";
import type { ServiceNetwork } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { byCodePoint } from "../../order.js";
import { sortedSet } from "./sorted-record.js";

export const DEFAULT_NETWORK = "default";

/**
 * The networks one service joins, sorted by key. A service that names none (and has no
 * `network_mode`) joins the stack's implicit `default` network, as in Compose.
 */
export function normalizeServiceNetworks(
  service: Pick<ServiceInput, "networks" | "network_mode">,
  declared: ReadonlySet<string>,
  problems: ProblemSink,
): ServiceNetwork[] {
  if (service.network_mode !== undefined) {
    if (service.networks !== undefined) {
      problems.report(["network_mode"], "cannot be combined with networks; use one or the other");
    }
    return [];
  }
  if (service.networks === undefined) return [network(DEFAULT_NETWORK, [], undefined)];
  const entries = Array.isArray(service.networks)
    ? service.networks.map((key, i) => ({ key, at: [i] as (string | number)[], options: null }))
    : Object.entries(service.networks).map(([key, options]) => ({ key, at: [key], options }));
  const out: ServiceNetwork[] = [];
  for (const { key, at, options } of entries) {
    if (key !== DEFAULT_NETWORK && !declared.has(key)) {
      problems.report(["networks", ...at], `network "${key}" is not declared under the top-level networks:`, "key");
      continue;
    }
    const ipv4 = options?.ipv4_address;
    if (ipv4 !== undefined && isIP(ipv4) !== 4) problems.report(["networks", key, "ipv4_address"], `"${ipv4}" is not an IPv4 address`);
    out.push(network(key, options?.aliases ?? [], ipv4));
  }
  return dedupeByKey(out).sort((a, b) => byCodePoint(a.key, b.key));
}

function network(key: string, aliases: string[], ipv4Address: string | undefined): ServiceNetwork {
  return { key, aliases: sortedSet(aliases), ipv4Address };
}

function dedupeByKey(networks: ServiceNetwork[]): ServiceNetwork[] {
  return [...new Map(networks.map((n) => [n.key, n])).values()];
}
