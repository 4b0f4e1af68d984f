import { BlockList, isIP } from "node:net";

/** A subnet in CIDR form: its address (as written, lower case) and prefix length. */
export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** `172.28.0.0/16`, `fd00:1::/64`; undefined when it is not a CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = text.slice(0, slash).toLowerCase();
  const bits = text.slice(slash + 1);
  const version = isIP(address);
  if (version === 0 || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** True when the address `ip` lies in `cidr`. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const version = isIP(ip);
  if (version === 0 || (version === 4) !== (cidr.family === "ipv4")) return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list.check(ip, cidr.family);
}

/** True when every address of `inner` lies in `outer`: its network address is inside, and it is no wider. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && cidrContains(outer, inner.address);
}
