/**
 * The cluster's network on the host: a bridge, one network namespace per node with a veth into the
 * bridge, and the iptables rule that lets bridged traffic between the nodes through the host
 * Engine's FORWARD policy (DROP, with br_netfilter). Nothing here touches any other interface.
 */
import { readdir } from "node:fs/promises";
import type { ClusterLayout, NodeLayout } from "./layout.js";
import { run } from "./run.js";

const USER_CHAIN = "DOCKER-USER";

export async function createBridge(c: ClusterLayout): Promise<void> {
  await run("ip", ["link", "add", c.bridge, "type", "bridge"]);
  await run("ip", ["addr", "add", `${c.gateway}/${c.prefixLength}`, "dev", c.bridge]);
  await run("ip", ["link", "set", c.bridge, "up"]);
}

/** The node's namespace with `eth0` on the bridge and `lo` up. No default route: nodes reach only each other and the bridge. */
export async function createNodeNetns(c: ClusterLayout, n: NodeLayout): Promise<void> {
  await run("ip", ["netns", "add", n.netns]);
  await run("ip", ["link", "add", n.hostVeth, "type", "veth", "peer", "name", "eth0", "netns", n.netns]);
  await run("ip", ["link", "set", n.hostVeth, "master", c.bridge, "up"]);
  await run("ip", ["-n", n.netns, "addr", "add", `${n.address}/${c.prefixLength}`, "dev", "eth0"]);
  await run("ip", ["-n", n.netns, "link", "set", "eth0", "up"]);
  await run("ip", ["-n", n.netns, "link", "set", "lo", "up"]);
}

function ruleArgs(bridge: string): string[] {
  return [USER_CHAIN, "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
}

export async function allowBridgeTraffic(bridge: string): Promise<void> {
  try {
    await run("iptables", ["-S", USER_CHAIN]);
  } catch (err) {
    throw new Error(`the host has no iptables chain ${USER_CHAIN}: is the host Docker Engine running? (bash scripts/test-env.sh)`, { cause: err });
  }
  await run("iptables", ["-I", ...ruleArgs(bridge)]);
}

/** Removes every copy of the bridge's ACCEPT rule (none is fine). */
export async function removeBridgeRules(bridge: string): Promise<void> {
  for (let i = 0; i < 10 && (await bridgeRules()).includes(bridge); i++) {
    await run("iptables", ["-D", ...ruleArgs(bridge)]);
  }
}

/** The bridges named in DOCKER-USER rules `-i X -o X -j ACCEPT` (no chain: none). */
export async function bridgeRules(): Promise<string[]> {
  let rules: string;
  try {
    rules = await run("iptables", ["-S", USER_CHAIN]);
  } catch {
    return [];
  }
  return [...rules.matchAll(/^-A DOCKER-USER -i (\S+) -o \1 -j ACCEPT$/gm)].map((m) => m[1] as string);
}

/** Names of the network namespaces `ip netns` knows (reads /run/netns: no `ip` needed to list). */
export async function netnsNames(): Promise<string[]> {
  try {
    return await readdir("/run/netns");
  } catch {
    return [];
  }
}

/** Names of the host's network interfaces. */
export async function linkNames(): Promise<string[]> {
  return readdir("/sys/class/net");
}

export async function deleteNetns(name: string): Promise<void> {
  if ((await netnsNames()).includes(name)) await run("ip", ["netns", "del", name]);
}

/**
 * Deletes a link if it is there. A namespace's deletion takes its veth's host end with it a moment
 * later (the kernel cleans namespaces up asynchronously), so a link listed a moment ago may be
 * gone by the time `ip link del` runs: that is success too.
 */
export async function deleteLink(name: string): Promise<void> {
  if (!(await linkNames()).includes(name)) return;
  try {
    await run("ip", ["link", "del", name]);
  } catch (err) {
    if ((await linkNames()).includes(name)) throw err;
  }
}
