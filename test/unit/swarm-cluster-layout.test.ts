/**
 * The test Swarm harness's layout (test/support/swarm-cluster/layout.ts): every name and subnet of
 * every cluster index and node slot is distinct, fits Linux's limits, stays out of the host
 * Engine's pool, and maps back to its index for the cleanup of stale clusters.
 */
import { describe, expect, it } from "vitest";
import { clusterLayout, indexOfName, MAX_CLUSTERS, MAX_MANAGERS, MAX_NODES } from "../support/swarm-cluster/layout.js";

const ROOT = "/tmp/gitdock-swarm";
const all = Array.from({ length: MAX_CLUSTERS }, (_, k) => clusterLayout(ROOT, k, MAX_MANAGERS, MAX_NODES - MAX_MANAGERS));

function octets(cidrOrAddr: string): number[] {
  return (/(\d+\.\d+\.\d+\.\d+)/.exec(cidrOrAddr)?.[1] ?? "").split(".").map(Number);
}

describe("swarm cluster layout", () => {
  it("names nodes m1.. then w1.. with their roles", () => {
    const c = clusterLayout(ROOT, 3, 2, 2);
    expect(c.nodes.map((n) => `${n.name}:${n.role}:${n.slot}`)).toEqual(["m1:manager:1", "m2:manager:2", "w1:worker:3", "w2:worker:4"]);
    expect(c.nodes[0]).toMatchObject({
      netns: "gdsw3-m1",
      hostVeth: "gdsw3-m1",
      address: "10.231.3.11",
      bip: "10.232.25.1/24",
      socket: `${ROOT}/3/m1/docker.sock`,
    });
    expect(c).toMatchObject({ bridge: "gdsw3", gateway: "10.231.3.1", overlayPool: "10.103.0.0/16", dir: `${ROOT}/3` });
  });

  it("gives every index and node slot distinct interfaces, namespaces, addresses and subnets", () => {
    const nodes = all.flatMap((c) => c.nodes);
    for (const key of ["netns", "hostVeth", "address", "bip", "addressPool", "socket", "dataRoot", "execRoot"] as const) {
      expect(new Set(nodes.map((n) => n[key])).size).toBe(nodes.length);
    }
    expect(new Set(all.map((c) => c.bridge)).size).toBe(MAX_CLUSTERS);
    expect(new Set(all.map((c) => c.gateway)).size).toBe(MAX_CLUSTERS);
    expect(new Set(all.map((c) => c.overlayPool)).size).toBe(MAX_CLUSTERS);
  });

  it("keeps interface names within Linux's 15 characters and every address a valid IPv4 outside the host Engine's 172.16.0.0/12", () => {
    for (const c of all) {
      expect(c.bridge.length).toBeLessThanOrEqual(15);
      for (const n of c.nodes) expect(n.hostVeth.length).toBeLessThanOrEqual(15);
      const addrs = [c.gateway, c.overlayPool, ...c.nodes.flatMap((n) => [n.address, n.bip, n.addressPool])];
      for (const a of addrs) {
        const o = octets(a);
        expect(o).toHaveLength(4);
        expect(o.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)).toBe(true);
        expect(o[0]).toBe(10);
      }
    }
  });

  it("maps the harness's names back to their index, and nothing else", () => {
    for (const c of all) {
      expect(indexOfName(c.bridge)).toBe(c.index);
      for (const n of c.nodes) expect(indexOfName(n.netns)).toBe(c.index);
    }
    for (const other of ["eth0", "docker0", "gdsw", "gdswx", "gdsw3-", "xgdsw3", "gdsw3-m1-extra", "gdsw3.1"]) expect(indexOfName(other)).toBeNull();
  });

  it("refuses counts it cannot lay out", () => {
    expect(() => clusterLayout(ROOT, 0, 0, 2)).toThrow(/1 to 3 managers/);
    expect(() => clusterLayout(ROOT, 0, 4, 0)).toThrow(/1 to 3 managers/);
    expect(() => clusterLayout(ROOT, 0, 3, 5)).toThrow(/at most 7 nodes/);
    expect(() => clusterLayout(ROOT, 0, 1, -1)).toThrow(/at most 7 nodes/);
    expect(() => clusterLayout(ROOT, MAX_CLUSTERS, 1, 0)).toThrow(/outside 0\.\.31/);
  });
});
