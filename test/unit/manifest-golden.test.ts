import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DesiredStack, UpdateConfig } from "../../src/model.js";
import { IMAGE, loadOrFail } from "../fixtures/manifest/helpers.js";
import { spec } from "./helpers/fake-state.js";

const PATH = "test/fixtures/manifest/rich/shop/compose.yaml";
const ROOT = "test/fixtures/manifest/rich";

const DEFAULT_UPDATE: UpdateConfig = { parallelism: 1, delayMs: 0, order: "stop-first", failureAction: "rollback", monitorMs: 10_000 };

/** Every container setting at its default (the planner tests' spec), the image aside: each service names its own. */
const { image: _image, ...EMPTY_CONTAINER } = spec({ networks: [] });

const GOLDEN: DesiredStack = {
  project: "shop",
  file: PATH,
  services: [
    {
      name: "cache",
      replicas: 1,
      dependsOn: [],
      envFiles: [],
      updateConfig: DEFAULT_UPDATE,
      rollbackConfig: DEFAULT_UPDATE,
      gitdock: { probe: undefined, healthTimeoutMs: 120_000 },
      container: {
        ...EMPTY_CONTAINER,
        image: "redis@sha256:00000000000000000000000000000000000000000000000000000000000000ff",
        command: ["redis-server", "--save", ""],
        networkMode: "service:db",
        healthcheck: { test: ["NONE"], intervalMs: undefined, timeoutMs: undefined, retries: undefined, startPeriodMs: undefined },
      },
    },
    {
      name: "db",
      replicas: 1,
      dependsOn: [],
      envFiles: [],
      updateConfig: { ...DEFAULT_UPDATE, order: "start-first" },
      rollbackConfig: { ...DEFAULT_UPDATE, failureAction: "pause" },
      gitdock: { probe: { kind: "tcp", port: 5432 }, healthTimeoutMs: 120_000 },
      container: {
        ...EMPTY_CONTAINER,
        image: "postgres:16@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
        environment: { POSTGRES_DB: "shop", POSTGRES_PASSWORD_FILE: "/run/secrets/pg" },
        mounts: [
          { type: "volume", source: "shop-pgdata", target: "/var/lib/postgresql/data", readOnly: false, nocopy: true },
          { type: "bind", source: "/etc/shop/pg", target: "/run/secrets", readOnly: true, createHostPath: false },
        ],
        networks: [{ key: "back", aliases: [], ipv4Address: undefined }],
        healthcheck: { test: ["CMD", "pg_isready", "-U", "postgres"], intervalMs: 10_000, timeoutMs: undefined, retries: undefined, startPeriodMs: undefined },
        stopGracePeriodMs: 120_000,
      },
    },
    {
      name: "web",
      replicas: 3,
      dependsOn: [
        { service: "cache", condition: "service_started", required: true },
        { service: "db", condition: "service_healthy", required: true },
      ],
      envFiles: ["/etc/shop/web.env", "/etc/shop/secrets.env"],
      updateConfig: { parallelism: 2, delayMs: 10_000, order: "stop-first", failureAction: "rollback", monitorMs: 30_000 },
      rollbackConfig: DEFAULT_UPDATE,
      gitdock: { probe: { kind: "http", port: 8080, path: "/health", expectStatus: 200 }, healthTimeoutMs: 180_000 },
      container: {
        image: "127.0.0.1:5000/shop/web:2.1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        command: ["./serve", "--port", "8080", "--name", "shop web"],
        entrypoint: ["/sbin/tini", "--"],
        environment: { DEBUG: "false", NODE_ENV: "production", PRICE_PREFIX: "$", WORKERS: "4" },
        ports: [
          { target: 8080, published: "8080", hostIp: "127.0.0.1", protocol: "tcp" },
          { target: 9090, published: "9090", hostIp: undefined, protocol: "udp" },
          { target: 9091, published: "9091", hostIp: undefined, protocol: "udp" },
          { target: 8443, published: "443", hostIp: undefined, protocol: "tcp" },
        ],
        mounts: [
          { type: "volume", source: "shop_assets", target: "/srv/assets", readOnly: true, nocopy: false },
          { type: "bind", source: "/var/log/shop", target: "/var/log/shop", readOnly: false, createHostPath: true },
          { type: "tmpfs", target: "/tmp", sizeBytes: 32 * 1024 * 1024 },
        ],
        networks: [
          { key: "back", aliases: [], ipv4Address: undefined },
          { key: "front", aliases: ["shop", "www"], ipv4Address: undefined },
        ],
        networkMode: undefined,
        labels: { "com.example.role": "frontend", "com.example.team": "shop" },
        restart: "unless-stopped",
        healthcheck: { test: ["CMD-SHELL", "curl -fsS http://localhost:8080/health"], intervalMs: 30_000, timeoutMs: 5000, retries: 3, startPeriodMs: 60_000 },
        user: "1000:1000",
        workingDir: "/srv",
        readOnly: true,
        capAdd: ["NET_BIND_SERVICE"],
        capDrop: ["ALL"],
        privileged: false,
        stopGracePeriodMs: 90_000,
        stopSignal: "SIGTERM",
        hostname: "web",
        extraHosts: ["api.internal:10.0.0.8", "payments.internal:10.0.0.7"],
        logging: { driver: "json-file", options: { "max-file": "3", "max-size": "10m" } },
        init: true,
        tmpfs: ["/run"],
        ulimits: { nofile: { soft: 4096, hard: 8192 }, nproc: { soft: 512, hard: 512 } },
        memoryBytes: 512 * 1024 * 1024,
        nanoCpus: 1_500_000_000,
      },
    },
  ],
  networks: [
    {
      key: "back",
      name: "shop_back",
      external: false,
      driver: undefined,
      driverOpts: {},
      internal: true,
      attachable: false,
      labels: { "com.example.tier": "data" },
    },
    {
      key: "front",
      name: "shop_front",
      external: false,
      driver: "bridge",
      driverOpts: { "com.docker.network.bridge.name": "shop-front" },
      internal: false,
      attachable: false,
      labels: {},
    },
    { key: "proxy", name: "edge", external: true, driver: undefined, driverOpts: {}, internal: false, attachable: false, labels: {} },
  ],
  volumes: [
    { key: "assets", name: "shop_assets", external: false, driver: undefined, driverOpts: {}, labels: {} },
    { key: "pgdata", name: "shop-pgdata", external: false, driver: undefined, driverOpts: {}, labels: { backup: "nightly" } },
  ],
};

describe("manifest: normalized output", () => {
  it("turns the rich fixture into exactly the golden stack", () => {
    const stacks = loadOrFail([{ path: PATH, content: readFileSync(PATH, "utf8") }], ROOT);
    expect(stacks).toStrictEqual([GOLDEN]);
  });

  it("gives equal objects, key for key, for manifests that mean the same", () => {
    const a = [
      "services:",
      "  web:",
      `    image: ${IMAGE}`,
      "    environment: {B: 2, A: x}",
      "    cap_add: [SYS_TIME, NET_ADMIN]",
      "    ports: ['8080:80']",
      "    restart: 'no'",
      "    command: run --fast",
      "    deploy: {update_config: {order: stop-first}}",
      "  db:",
      `    image: ${IMAGE}`,
    ].join("\n");
    const b = [
      "services:",
      "  db: {image: " + JSON.stringify(IMAGE) + "}",
      "  web:",
      "    command: [run, --fast]",
      "    ports: [{target: 80, published: '8080', protocol: tcp}]",
      "    cap_add: [CAP_NET_ADMIN, SYS_TIME, sys_time]",
      "    environment: [A=x, B=2]",
      `    image: ${IMAGE}`,
      "networks:",
      "  default: {}",
    ].join("\n");
    const [first] = loadOrFail([{ path: "stacks/app/compose.yaml", content: a }]);
    const [second] = loadOrFail([{ path: "stacks/app/compose.yaml", content: b }]);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it("returns fresh objects on every call", () => {
    const content = readFileSync(PATH, "utf8");
    const [one] = loadOrFail([{ path: PATH, content }], ROOT);
    const [two] = loadOrFail([{ path: PATH, content }], ROOT);
    expect(one).toStrictEqual(two);
    expect(one).not.toBe(two);
  });
});
