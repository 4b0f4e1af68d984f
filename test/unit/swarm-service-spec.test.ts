/**
 * serviceSpec: one resolved service as the ServiceSpec body gitdock sends a Swarm. The body is what
 * the host policy judges and what the hashes cover, so each manifest key must land in the field
 * Swarm reads, in Swarm's units, and nothing the manifest did not say may appear.
 */
import { describe, expect, it } from "vitest";
import type { DesiredService, DesiredStack, SwarmDeploy, UpdateConfig } from "../../src/model.js";
import { compact, serviceSpec, type JsonObject } from "../../src/swarm/service-spec.js";
import { IMAGE_V1, service, stack } from "./helpers/fake-state.js";
import { AGENT, identity, onSwarm } from "./helpers/fake-swarm.js";

type Opts = Parameters<typeof service>[1];

/** The body sent for `web` of stack `shop`, built with `opts` and Swarm keys `swarm`. */
function bodyOf(
  opts: Opts = {},
  swarm: Partial<SwarmDeploy> = {},
  extra: Partial<DesiredStack> = {},
  edit: (s: DesiredService) => DesiredService = (s) => s,
): JsonObject {
  const st = stack("shop", [edit(onSwarm(service("web", opts), swarm))], extra);
  return serviceSpec(identity(st, "web"));
}

/** The value at a dotted path of a body (`TaskTemplate.ContainerSpec.Image`). */
function at(body: JsonObject, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v === undefined || v === null ? undefined : (v as Record<string, unknown>)[k]), body);
}
const container = (body: JsonObject) => at(body, "TaskTemplate.ContainerSpec") as JsonObject;

describe("serviceSpec: names and labels", () => {
  it("names the service <project>_<service> and labels it as docker stack deploy and gitdock do", () => {
    const body = bodyOf({}, { labels: { team: "shop" } });
    expect(body["Name"]).toBe("shop_web");
    expect(body["Labels"]).toEqual({
      team: "shop",
      "com.docker.stack.namespace": "shop",
      "com.docker.compose.project": "shop",
      "com.docker.compose.service": "web",
      "gitdock.managed": "true",
      "gitdock.agent": AGENT,
      "gitdock.commit": "c0ffee",
    });
  });

  it("lets no deploy.labels entry overwrite gitdock's ownership labels", () => {
    const body = bodyOf({}, { labels: { "gitdock.managed": "false", "gitdock.agent": "someone-else", "com.docker.stack.namespace": "other" } });
    const labels = body["Labels"] as Record<string, string>;
    expect(labels["gitdock.managed"]).toBe("true");
    expect(labels["gitdock.agent"]).toBe(AGENT);
    expect(labels["com.docker.stack.namespace"]).toBe("shop");
  });

  it("puts the container's labels and the stack namespace on the tasks' containers, not deploy.labels", () => {
    const body = bodyOf({ spec: { labels: { role: "front" } } }, { labels: { team: "shop" } });
    expect(container(body)["Labels"]).toEqual({ role: "front", "com.docker.stack.namespace": "shop" });
  });
});

describe("serviceSpec: the container spec", () => {
  const cases: { name: string; opts: Opts; path: string; expected: unknown }[] = [
    { name: "the pinned image", opts: {}, path: "Image", expected: IMAGE_V1 },
    // Swarm's Command replaces the image's ENTRYPOINT and Args its CMD, as `docker stack deploy` maps them.
    { name: "entrypoint → Command", opts: { spec: { entrypoint: ["/bin/tini", "--"] } }, path: "Command", expected: ["/bin/tini", "--"] },
    { name: "command → Args", opts: { spec: { command: ["serve", "--port", "80"] } }, path: "Args", expected: ["serve", "--port", "80"] },
    { name: "environment as KEY=value", opts: { spec: { environment: { A: "1", B: "x=y" } } }, path: "Env", expected: ["A=1", "B=x=y"] },
    {
      name: "healthcheck durations in nanoseconds",
      opts: { spec: { healthcheck: { test: ["CMD", "true"], intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 1000 } } },
      path: "HealthCheck",
      expected: { Test: ["CMD", "true"], Interval: 5e9, Timeout: 2e9, Retries: 3, StartPeriod: 1e9 },
    },
    { name: "stop_grace_period in nanoseconds", opts: { spec: { stopGracePeriodMs: 30_000 } }, path: "StopGracePeriod", expected: 30e9 },
    { name: "extra_hosts host:ip → `ip host`", opts: { spec: { extraHosts: ["db:10.0.0.5", "v6:::1"] } }, path: "Hosts", expected: ["10.0.0.5 db", "::1 v6"] },
    { name: "read_only", opts: { spec: { readOnly: true } }, path: "ReadOnly", expected: true },
    { name: "cap_add and cap_drop", opts: { spec: { capAdd: ["NET_ADMIN"] } }, path: "CapabilityAdd", expected: ["NET_ADMIN"] },
    {
      name: "ulimits by name",
      opts: { spec: { ulimits: { nofile: { soft: 1024, hard: 2048 } } } },
      path: "Ulimits",
      expected: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
    },
    { name: "dns", opts: { spec: { dns: ["10.0.0.2"], dnsSearch: ["corp"] } }, path: "DNSConfig", expected: { Nameservers: ["10.0.0.2"], Search: ["corp"] } },
  ];
  it.each(cases)("$name", ({ opts, path, expected }) => {
    expect(at(container(bodyOf(opts)), path)).toEqual(expected);
  });

  it("says nothing the manifest did not: no Command, Args, Env, Hosts, mounts or false ReadOnly on a plain service", () => {
    const c = container(bodyOf());
    expect(Object.keys(c).sort()).toEqual(["Image", "Labels"]);
  });
});

describe("serviceSpec: mounts", () => {
  const data = { key: "data", name: "shop_data", external: false, driver: undefined, driverOpts: { type: "none" }, labels: { backup: "daily" } };
  const shared = { key: "shared", name: "shared", external: true, driver: undefined, driverOpts: {}, labels: {} };

  it("sends a bind mount with its source, target and read-only flag", () => {
    const mounts = container(bodyOf({ spec: { mounts: [{ type: "bind", source: "/srv/www", target: "/www", readOnly: true, createHostPath: false }] } }))[
      "Mounts"
    ];
    expect(mounts).toEqual([{ Type: "bind", Source: "/srv/www", Target: "/www", ReadOnly: true }]);
  });

  it("names a stack volume <project>_<key> and labels it with the stack namespace, as docker stack deploy creates it on each node", () => {
    const mounts = container(
      bodyOf({ spec: { mounts: [{ type: "volume", source: "data", target: "/data", readOnly: false, nocopy: true }] } }, {}, { volumes: [data] }),
    )["Mounts"];
    expect(mounts).toEqual([
      {
        Type: "volume",
        Source: "shop_data",
        Target: "/data",
        ReadOnly: false,
        VolumeOptions: {
          NoCopy: true,
          Labels: { backup: "daily", "com.docker.stack.namespace": "shop" },
          DriverConfig: { Name: "local", Options: { type: "none" } },
        },
      },
    ]);
  });

  it("sends an external volume by its name, with no labels or driver (gitdock does not create it)", () => {
    const mounts = container(
      bodyOf({ spec: { mounts: [{ type: "volume", source: "shared", target: "/shared", readOnly: true, nocopy: false }] } }, {}, { volumes: [shared] }),
    )["Mounts"];
    // An empty VolumeOptions is sent; the Engine reads it as none (and sentDifference as missing).
    expect(mounts).toEqual([{ Type: "volume", Source: "shared", Target: "/shared", ReadOnly: true, VolumeOptions: {} }]);
  });

  it("sends a tmpfs mount with its size in bytes, and none when no size is given", () => {
    const mounts = container(
      bodyOf({
        spec: {
          mounts: [
            { type: "tmpfs", target: "/cache", sizeBytes: 64 * 1024 * 1024 },
            { type: "tmpfs", target: "/scratch", sizeBytes: undefined },
          ],
        },
      }),
    )["Mounts"];
    expect(mounts).toEqual([
      { Type: "tmpfs", Target: "/cache", TmpfsOptions: { SizeBytes: 67108864 } },
      { Type: "tmpfs", Target: "/scratch" },
    ]);
  });

  it("reads a `tmpfs:` entry's size with its unit (64m is 64 MiB, not dropped)", () => {
    const mounts = container(bodyOf({ spec: { tmpfs: ["/run:size=64m,mode=1777", "/tmp:size=4096", "/var/run"] } }))["Mounts"];
    expect(mounts).toEqual([
      { Type: "tmpfs", Target: "/run", TmpfsOptions: { SizeBytes: 67108864 } },
      { Type: "tmpfs", Target: "/tmp", TmpfsOptions: { SizeBytes: 4096 } },
      { Type: "tmpfs", Target: "/var/run" },
    ]);
  });
});

describe("serviceSpec: secrets and configs", () => {
  it("refers to each by the content-named object of the stack, as files under /run/secrets (or at an absolute target)", () => {
    const st = stack("shop", [
      onSwarm(
        service("web", {
          spec: {
            secrets: [
              { source: "db_password", target: "db_password", file: "/etc/gitdock/secrets/db", digest: "d".repeat(64) },
              { source: "tls_key", target: "/etc/tls/key.pem", file: "/etc/gitdock/secrets/tls", digest: "e".repeat(64) },
            ],
            configs: [{ source: "nginx_conf", target: "/etc/nginx/nginx.conf", file: "store/sha256/abc" }],
          },
        }),
      ),
    ]);
    const c = container(
      serviceSpec(
        identity(st, "web", {
          secrets: new Map([
            ["db_password", "shop_db_password_dddddddddddd"],
            ["tls_key", "shop_tls_key_eeeeeeeeeeee"],
          ]),
          configs: new Map([["nginx_conf", "shop_nginx_conf_0123456789ab"]]),
        }),
      ),
    );
    // A relative File.Name is a file under /run/secrets in the task; an absolute one is used as is.
    expect(c["Secrets"]).toEqual([
      { File: { Name: "db_password", UID: "0", GID: "0", Mode: 0o444 }, SecretName: "shop_db_password_dddddddddddd" },
      { File: { Name: "/etc/tls/key.pem", UID: "0", GID: "0", Mode: 0o444 }, SecretName: "shop_tls_key_eeeeeeeeeeee" },
    ]);
    expect(c["Configs"]).toEqual([{ File: { Name: "/etc/nginx/nginx.conf", UID: "0", GID: "0", Mode: 0o444 }, ConfigName: "shop_nginx_conf_0123456789ab" }]);
  });
});

describe("serviceSpec: mode, placement, resources, restart", () => {
  it("runs a replicated service with the manifest's replicas", () => {
    expect(bodyOf({ replicas: 3 })["Mode"]).toEqual({ Replicated: { Replicas: 3 } });
  });

  it("runs a global service on every node, without a replica count", () => {
    expect(bodyOf({ replicas: 3 }, { mode: "global" })["Mode"]).toEqual({ Global: {} });
  });

  it("places tasks by constraints, spread preferences and max replicas per node", () => {
    const body = bodyOf({}, { constraints: ["node.role==worker"], spread: ["node.labels.zone", "node.labels.rack"], maxReplicasPerNode: 2 });
    expect(at(body, "TaskTemplate.Placement")).toEqual({
      Constraints: ["node.role==worker"],
      Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }, { Spread: { SpreadDescriptor: "node.labels.rack" } }],
      MaxReplicas: 2,
    });
  });

  it("sends no placement when the manifest has none", () => {
    expect(at(bodyOf(), "TaskTemplate.Placement")).toEqual({});
  });

  it("limits and reserves CPU, memory and pids", () => {
    const body = bodyOf(
      { spec: { nanoCpus: 500_000_000, memoryBytes: 256 * 2 ** 20, pidsLimit: 100, memoryReservationBytes: 64 * 2 ** 20 } },
      { reservedNanoCpus: 250_000_000 },
    );
    expect(at(body, "TaskTemplate.Resources")).toEqual({
      Limits: { NanoCPUs: 500_000_000, MemoryBytes: 268435456, Pids: 100 },
      Reservations: { NanoCPUs: 250_000_000, MemoryBytes: 67108864 },
    });
  });

  it("sends the restart policy with its delay and window in nanoseconds", () => {
    const body = bodyOf({}, { restartPolicy: { condition: "on-failure", delayMs: 5000, maxAttempts: 3, windowMs: 120_000 } });
    expect(at(body, "TaskTemplate.RestartPolicy")).toEqual({ Condition: "on-failure", Delay: 5e9, MaxAttempts: 3, Window: 120e9 });
  });

  it("sends Swarm's default restart condition (any) when deploy.restart_policy is unset", () => {
    expect(at(bodyOf(), "TaskTemplate.RestartPolicy")).toEqual({ Condition: "any" });
  });

  it("attaches the service's networks by their stack names, with the service name as an alias", () => {
    const body = bodyOf({ spec: { networks: [{ key: "default", aliases: ["www"], ipv4Address: undefined }] } });
    expect(at(body, "TaskTemplate.Networks")).toEqual([{ Target: "shop_default", Aliases: ["web", "www"] }]);
  });
});

describe("serviceSpec: update and rollback config", () => {
  const update: UpdateConfig = { parallelism: 2, delayMs: 10_000, order: "start-first", failureAction: "rollback", monitorMs: 30_000, maxFailureRatio: 0.25 };

  it("sends parallelism, delay, monitor, ratio and order as written", () => {
    const body = bodyOf({}, {}, {}, (s) => ({ ...s, updateConfig: update, rollbackConfig: { ...update, parallelism: 0 } }));
    expect(body["UpdateConfig"]).toEqual({ Parallelism: 2, Delay: 10e9, FailureAction: "pause", Monitor: 30e9, MaxFailureRatio: 0.25, Order: "start-first" });
    // Parallelism 0 is Swarm's "all at once", said, not dropped.
    expect(body["RollbackConfig"]).toEqual({ Parallelism: 0, Delay: 10e9, FailureAction: "pause", Monitor: 30e9, MaxFailureRatio: 0.25, Order: "start-first" });
  });

  // Swarm must never roll one service back by itself: gitdock puts the whole commit back (every
  // service it changed), and a service Swarm rolled back alone would leave the host half on the old
  // commit while gitdock's gate could not tell it from a converged release. So whatever the
  // manifest's failure_action (rollback, continue, pause), Swarm is told to pause, and the gate
  // reads the paused update as a failure (swarm-gate.ts).
  it.each(["rollback", "continue", "pause"] as const)("always sends FailureAction pause, whatever failure_action %s says", (failureAction) => {
    const body = bodyOf({}, {}, {}, (s) => ({ ...s, updateConfig: { ...update, failureAction }, rollbackConfig: { ...update, failureAction } }));
    expect(at(body, "UpdateConfig.FailureAction")).toBe("pause");
    expect(at(body, "RollbackConfig.FailureAction")).toBe("pause");
  });
});

describe("serviceSpec: endpoint and ports", () => {
  const ports = [
    { target: 80, published: "8080", hostIp: undefined, protocol: "tcp" as const },
    { target: 53, published: "53", hostIp: undefined, protocol: "udp" as const },
    { target: 9000, published: undefined, hostIp: undefined, protocol: "tcp" as const },
    { target: 9100, published: "", hostIp: undefined, protocol: "tcp" as const },
  ];

  it("publishes through the routing mesh, or on the task's node for the ports the manifest marks host mode; leaves out unpublished ports", () => {
    const body = bodyOf({ spec: { ports } }, { hostModePorts: ["53/udp"] });
    expect(body["EndpointSpec"]).toEqual({
      Mode: "vip",
      Ports: [
        { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" },
        { Protocol: "udp", TargetPort: 53, PublishedPort: 53, PublishMode: "host" },
        // No published port: Swarm picks one from its range.
        { Protocol: "tcp", TargetPort: 9000, PublishMode: "ingress" },
      ],
    });
  });

  it("sends endpoint_mode dnsrr", () => {
    expect(bodyOf({}, { endpointMode: "dnsrr" })["EndpointSpec"]).toEqual({ Mode: "dnsrr" });
  });

  it("a host-mode key for another protocol does not move a tcp port to host mode", () => {
    const body = bodyOf({ spec: { ports: [ports[1]!, { ...ports[1]!, protocol: "tcp" }] } }, { hostModePorts: ["53/udp"] });
    expect(at(body, "EndpointSpec.Ports")).toEqual([
      { Protocol: "udp", TargetPort: 53, PublishedPort: 53, PublishMode: "host" },
      { Protocol: "tcp", TargetPort: 53, PublishedPort: 53, PublishMode: "ingress" },
    ]);
  });
});

describe("compact", () => {
  const cases: { name: string; value: unknown; expected: unknown }[] = [
    { name: "drops undefined members", value: { a: 1, b: undefined }, expected: { a: 1 } },
    { name: "drops empty lists", value: { a: [], b: [1] }, expected: { b: [1] } },
    {
      name: "works at any depth, in lists too",
      value: { a: { b: { c: undefined, d: [] }, e: [{ f: undefined, g: 0 }] } },
      expected: { a: { b: {}, e: [{ g: 0 }] } },
    },
    {
      name: "keeps false, 0, empty strings and empty objects (they say something)",
      value: { a: false, b: 0, c: "", d: {} },
      expected: { a: false, b: 0, c: "", d: {} },
    },
    { name: "keeps null", value: { a: null }, expected: { a: null } },
    { name: "leaves scalars alone", value: "x", expected: "x" },
  ];
  it.each(cases)("$name", ({ value, expected }) => {
    expect(compact(value)).toEqual(expected);
  });
});
