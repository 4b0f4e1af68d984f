/**
 * The Compose keys real stacks use, from the manifest to the Engine requests apply sends: each
 * reaches exactly its field, the host policy judges every field they set (nothing is refused as
 * unknown, what asks something of the host is refused until the policy allows it), and the pure
 * parts of the rollout (the batch decision, the pulls) decide as documented.
 */
import { describe, expect, it } from "vitest";
import { batchFailed } from "../../src/apply/batch-outcome.js";
import { checkEngineRequests } from "../../src/apply/check-requests.js";
import { containerConfig } from "../../src/apply/container-config.js";
import { connectBody, policyView } from "../../src/apply/engine-requests.js";
import { pullRequests } from "../../src/apply/pull-requests.js";
import { networkCreateBody } from "../../src/apply/resource-config.js";
import { loadManifest } from "../../src/manifest/index.js";
import type { DesiredState } from "../../src/model.js";
import { makePlan } from "../../src/plan/plan.js";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { guardedPaths, type HostPolicy } from "../../src/policy/index.js";
import { IMAGE_V1, IMAGE_V2, resolve, service, stack } from "./helpers/fake-state.js";

const FILE = "hosts/h1/shop/compose.yaml";
const MANIFEST = `name: shop
services:
  web:
    image: ${IMAGE_V1}
    container_name: shop_web
    expose: [9000, "9100-9101/udp"]
    ports: ["8080:80"]
    shm_size: 64m
    security_opt: [no-new-privileges:true]
    sysctls: {net.core.somaxconn: 1024}
    platform: linux/amd64
    runtime: runc
    dns: [1.1.1.1, 9.9.9.9]
    dns_search: [example.test]
    dns_opt: [ndots:2]
    tty: true
    stdin_open: true
    group_add: [audio, 1001]
    external_links: [proxy:edge]
    mem_limit: 256m
    memswap_limit: 512m
    mem_reservation: 128m
    cpu_shares: 512
    pids_limit: 100
    volumes: ["/srv/shop/data:/data:z", "/srv/shop/conf:/conf:ro,Z", "/srv/shop/plain:/plain"]
    networks: [default, back]
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 2}
      resources: {reservations: {devices: [{driver: nvidia, capabilities: [gpu], count: 1}]}}
  db:
    image: ${IMAGE_V1}
    network_mode: service:web
networks:
  back:
    ipam: {config: [{subnet: 172.28.0.0/16, ip_range: 172.28.5.0/24, gateway: 172.28.5.254, aux_addresses: {spare: 172.28.1.5}}]}
    enable_ipv6: true
`;

function desiredOf(text: string): { desired: DesiredState; sources: ReturnType<typeof loadManifest>["sources"] } {
  const { stacks, sources } = loadManifest([{ path: FILE, content: text }], { root: "hosts/h1" });
  return { desired: { commit: "c1", stacks }, sources };
}

describe("the Engine requests of the Compose keys", () => {
  const { desired } = desiredOf(MANIFEST);
  const view = policyView(desired);
  const shop = view.stacks[0];
  const web = shop?.services.find((s) => s.service.name === "web");
  const db = shop?.services.find((s) => s.service.name === "db");
  if (!shop || !web || !db) throw new Error("manifest did not load");
  const config = containerConfig({ stack: shop.stack, service: web, number: 1, commit: "c1", agentId: "h1" });

  it("sends each key to its field, exactly", () => {
    const c = config.create;
    expect(config.name).toBe("shop_web");
    expect(c).toMatchObject({ name: "shop_web", platform: "linux/amd64", Tty: true, OpenStdin: true });
    expect(Object.keys(c.ExposedPorts ?? {})).toEqual(["80/tcp", "9000/tcp", "9100/udp", "9101/udp"]);
    expect(c.HostConfig).toMatchObject({
      ShmSize: 64 * 1024 ** 2,
      SecurityOpt: ["no-new-privileges=true"],
      Sysctls: { "net.core.somaxconn": "1024" },
      Runtime: "runc",
      Dns: ["1.1.1.1", "9.9.9.9"],
      DnsSearch: ["example.test"],
      DnsOptions: ["ndots:2"],
      GroupAdd: ["1001", "audio"],
      Memory: 256 * 1024 ** 2,
      MemorySwap: 512 * 1024 ** 2,
      MemoryReservation: 128 * 1024 ** 2,
      CpuShares: 512,
      PidsLimit: 100,
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 },
      DeviceRequests: [{ Driver: "nvidia", Count: 1, DeviceIDs: [], Capabilities: [["gpu"]], Options: {} }],
    });
  });

  it("sends SELinux-relabeled binds as Binds entries and every other mount as Mounts", () => {
    expect(config.create.HostConfig?.Binds).toEqual(["/srv/shop/data:/data:z", "/srv/shop/conf:/conf:ro,Z"]);
    expect(config.create.HostConfig?.Mounts).toEqual([{ Type: "bind", Source: "/srv/shop/plain", Target: "/plain", ReadOnly: false }]);
  });

  it("keeps the service name and the container name as aliases, and links on every network", () => {
    const endpoints = config.create.NetworkingConfig?.EndpointsConfig ?? {};
    expect(Object.keys(endpoints)).toEqual(["shop_back"]);
    expect(endpoints["shop_back"]).toEqual({ Aliases: ["web", "shop_web"], Links: ["proxy:edge"] });
    expect(config.extraNetworks.map((n) => connectBody("id", n))).toEqual([
      { Container: "id", EndpointConfig: { Aliases: ["web", "shop_web"], Links: ["proxy:edge"] } },
    ]);
  });

  it("joins service:web through web's container_name", () => {
    const dbConfig = containerConfig({ stack: shop.stack, service: db, number: 1, commit: "c1", agentId: "h1" });
    expect(dbConfig.create.HostConfig?.NetworkMode).toBe("container:shop_web");
  });

  it("creates the network with its IPAM and IPv6", () => {
    const back = shop.stack.networks.find((n) => n.key === "back");
    if (!back) throw new Error("no back network");
    expect(networkCreateBody("shop", back, "h1")).toMatchObject({
      EnableIPv6: true,
      IPAM: {
        Driver: "default",
        Config: [{ Subnet: "172.28.0.0/16", IPRange: "172.28.5.0/24", Gateway: "172.28.5.254", AuxiliaryAddresses: { spare: "172.28.1.5" } }],
        Options: {},
      },
    });
    const plain = shop.stack.networks.find((n) => n.key === "default");
    if (!plain) throw new Error("no default network");
    expect(Object.keys(networkCreateBody("shop", plain, "h1"))).not.toContain("IPAM");
  });

  it("sends nothing new for a service that uses none of the keys", () => {
    const { desired: plainState } = desiredOf(`name: shop\nservices:\n  web:\n    image: ${IMAGE_V1}\n`);
    const plainView = policyView(plainState);
    const svc = plainView.stacks[0]?.services[0];
    const st = plainView.stacks[0]?.stack;
    if (!svc || !st) throw new Error("no service");
    const create = containerConfig({ stack: st, service: svc, number: 1, commit: "c1", agentId: "h1" }).create;
    for (const key of ["platform", "Tty", "OpenStdin"]) expect(Object.keys(create)).not.toContain(key);
    const host = Object.keys(create.HostConfig ?? {});
    for (const key of [
      "Binds",
      "ShmSize",
      "SecurityOpt",
      "Sysctls",
      "Runtime",
      "Dns",
      "DnsSearch",
      "DnsOptions",
      "GroupAdd",
      "MemoryReservation",
      "MemorySwap",
      "CpuShares",
      "PidsLimit",
      "DeviceRequests",
    ]) {
      expect(host).not.toContain(key);
    }
  });
});

describe("the host policy on the Compose keys", () => {
  const allowing: HostPolicy = { ...DEFAULT_POLICY, deviceRequests: true, externalLinks: ["proxy"] };
  const check = (text: string, policy: HostPolicy) => {
    const { desired, sources } = desiredOf(text);
    return checkEngineRequests(desired, { policy, guarded: guardedPaths([]), agentId: "h1", sources });
  };

  it("knows every field the keys set: with device requests and the link allowed, nothing is refused", () => {
    expect(check(MANIFEST, allowing)).toEqual([]);
  });

  it("refuses, by default, the device request and the link outside the stack, each at its key", () => {
    const found = check(MANIFEST, DEFAULT_POLICY);
    expect(found.map((p) => [p.path, p.line])).toEqual([
      ["services.web.deploy", 28],
      ["services.web.external_links", 19],
      ["services.web.external_links", 19],
    ]);
    expect(found[0]?.message).toMatch(/device requests .* not allowed .* device_requests: true .*\[Engine request field HostConfig.DeviceRequests\]/);
    expect(found[1]?.message).toMatch(/a link to container proxy is not allowed .* list it in external_links/);
  });

  it("refuses a relabeled bind outside the bind roots, as it would a mount", () => {
    const outside = MANIFEST.replace("/srv/shop/data:/data:z", "/home/data:/data:z");
    expect(check(outside, allowing).map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^services.web.volumes: bind mount source \/home\/data is outside .*\[Engine request field HostConfig.Binds\[0\]\]/),
    ]);
  });

  it("refuses a subnet outside network_subnets, at the network's ipam", () => {
    const publicNet = MANIFEST.replace(/172\.28\./g, "8.8.");
    const found = check(publicNet, allowing);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.path === "networks.back.ipam" && /outside the address space .* network_subnets/.test(p.message))).toBe(true);
  });
});

describe("max_failure_ratio: when a batch fails", () => {
  it.each([
    [0, 2, 0, false],
    [1, 2, 0, true],
    [1, 2, 0.5, false],
    [2, 2, 0.5, true],
    [1, 4, 0.25, false],
    [2, 4, 0.25, true],
    [2, 2, 1, false],
    [0, 0, 0, false],
  ])("%i of %i failed with ratio %d: failed %s", (failed, total, ratio, expected) => {
    expect(batchFailed(failed, total, ratio)).toBe(expected);
  });
});

describe("pulls: pull_policy and platform", () => {
  it("one request per image and platform, the most pulling any service asks for", () => {
    const state = resolve("c1", [
      stack("shop", [
        service("a", { spec: { image: IMAGE_V1 } }),
        { ...service("b", { spec: { image: IMAGE_V1 } }), pullPolicy: "always" },
        { ...service("c", { spec: { image: IMAGE_V2 } }), pullPolicy: "never" },
        service("d", { spec: { image: IMAGE_V2, platform: "linux/arm64" } }),
      ]),
    ]);
    const plan = makePlan(state, { containers: [], networks: [], volumes: [] }, { release: true });
    expect(pullRequests(plan, state)).toEqual([
      { image: IMAGE_V1, platform: undefined, policy: "always", services: ["shop/a", "shop/b"] },
      { image: IMAGE_V2, platform: undefined, policy: "never", services: ["shop/c"] },
      { image: IMAGE_V2, platform: "linux/arm64", policy: "missing", services: ["shop/d"] },
    ]);
  });
});
