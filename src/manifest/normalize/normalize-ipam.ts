import { isIP } from "node:net";
import type { IpamPool, IpamSpec } from "../../model.js";
import { cidrContains, cidrWithin, parseCidr, type Cidr } from "../parse/parse-cidr.js";
import type { ProblemSink } from "../problems.js";
import type { NetworkInput } from "../schema/compose-schema.js";
import { sortedRecord } from "./sorted-record.js";

type PoolInput = NonNullable<NonNullable<NetworkInput["ipam"]>["config"]>[number];

/**
 * A network's `ipam:`, checked the way the Engine would (a range and a gateway inside their subnet),
 * so a mistake is a located error rather than a failed sync. Undefined when it sets nothing; the
 * driver `default` is the Engine's own, the same as none.
 */
export function normalizeIpam(input: NetworkInput["ipam"], problems: ProblemSink): IpamSpec | undefined {
  if (input === undefined) return undefined;
  const driver = input.driver === "default" ? undefined : input.driver;
  const pools = (input.config ?? []).flatMap((pool, i) => normalizePool(pool, (path, message) => problems.report(["ipam", "config", i, ...path], message)));
  const options = sortedRecord(Object.entries(input.options ?? {}));
  if (driver === undefined && pools.length === 0 && Object.keys(options).length === 0) return undefined;
  return { driver, pools, options };
}

function normalizePool(pool: PoolInput, report: (path: (string | number)[], message: string) => void): IpamPool[] {
  let subnet: Cidr | undefined;
  if (pool.subnet !== undefined) {
    subnet = parseCidr(pool.subnet);
    if (!subnet) report(["subnet"], `"${pool.subnet}" is not a subnet in CIDR form like "172.28.0.0/16"`);
  } else if (pool.ip_range !== undefined || pool.gateway !== undefined || pool.aux_addresses !== undefined) {
    report([], "needs a subnet: ip_range, gateway and aux_addresses are parts of one");
  }
  if (pool.ip_range !== undefined) {
    const range = parseCidr(pool.ip_range);
    if (!range) report(["ip_range"], `"${pool.ip_range}" is not a range in CIDR form like "172.28.5.0/24"`);
    else if (subnet && !cidrWithin(range, subnet)) report(["ip_range"], `${pool.ip_range} is not inside the subnet ${pool.subnet}`);
  }
  if (pool.gateway !== undefined) checkAddress(pool.gateway, subnet, pool.subnet, ["gateway"], report);
  for (const [name, address] of Object.entries(pool.aux_addresses ?? {})) checkAddress(address, subnet, pool.subnet, ["aux_addresses", name], report);
  return [{ subnet: pool.subnet, ipRange: pool.ip_range, gateway: pool.gateway, auxAddresses: sortedRecord(Object.entries(pool.aux_addresses ?? {})) }];
}

function checkAddress(
  address: string,
  subnet: Cidr | undefined,
  written: string | undefined,
  at: (string | number)[],
  report: (path: (string | number)[], message: string) => void,
): void {
  if (isIP(address) === 0) report(at, `"${address}" is not an IP address`);
  else if (subnet && !cidrContains(subnet, address)) report(at, `${address} is not inside the subnet ${written ?? ""}`);
}
