import { cidrContains, cidrWithin, parseCidr, type Cidr } from "../manifest/parse/parse-cidr.js";

/**
 * Whether a network address (a subnet or range in CIDR form, or a single address) lies inside the
 * policy's `network_subnets`. A bridge's subnet becomes a route on the host: public space would
 * divert the host's own traffic for it into the container network.
 */
export function withinNetworkSubnets(text: string, allowed: readonly string[]): boolean {
  const roots = allowed.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const cidr = parseCidr(text);
  return cidr ? roots.some((r) => cidrWithin(cidr, r)) : roots.some((r) => cidrContains(r, text));
}
