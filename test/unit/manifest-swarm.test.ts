import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ManifestProblem } from "../../src/errors.js";
import { loadManifest, type ManifestInputs } from "../../src/manifest/index.js";
import type { DesiredService, DesiredStack, SwarmDeploy } from "../../src/model.js";
import { canonicalJson, specHashes } from "../../src/plan/spec-hash.js";
import { readDirectoryTree } from "../../src/source/read-directory-tree.js";
import { FILE, IMAGE, indent, loadError, loadWith, summary } from "../fixtures/manifest/helpers.js";

const SWARM: ManifestInputs = { engine: "swarm" };

/** `web` (with `body`, from line 4 column 5) and a plain `db` it can refer to, plus top-level `top`. */
function stackFile(body: string, top = ""): string {
  return `services:\n  web:\n    image: ${IMAGE}\n${indent(body, 4)}\n  db:\n    image: ${IMAGE}\n${top}\n`;
}

function webOn(inputs: ManifestInputs, body: string, top = ""): DesiredService {
  const stack = loadWith([{ path: FILE, content: stackFile(body, top) }], inputs).stacks[0];
  const web = stack?.services.find((s) => s.name === "web");
  if (!web) throw new Error("no service web");
  return web;
}

const swarmOf = (body: string, top = ""): SwarmDeploy | undefined => webOn(SWARM, body, top).swarm;

function problemsOn(inputs: ManifestInputs, body: string, top = ""): ManifestProblem[] {
  return loadError([{ path: FILE, content: stackFile(body, top) }], inputs).problems;
}

const DEFAULTS: SwarmDeploy = { mode: "replicated", constraints: [], spread: [], endpointMode: "vip", labels: {}, restartPolicy: { condition: "any" } };

describe("manifest under engine: swarm: Compose's Swarm keys read into DesiredService.swarm", () => {
  it("fills in Swarm's defaults: replicated, vip, restart condition any, no placement", () => {
    expect(swarmOf("")).toEqual(DEFAULTS);
  });

  it("reads mode, placement, endpoint_mode, labels, restart_policy and reservations.cpus", () => {
    const body = [
      "ports:",
      "  - {target: 443, published: 443, mode: host}",
      "  - {target: 53, published: 53, protocol: udp, mode: host}",
      "deploy:",
      "  mode: replicated",
      "  replicas: 4",
      "  placement:",
      "    constraints: [node.role==worker, 'node.labels.zone != b']",
      "    preferences: [{spread: node.labels.zone}, {spread: node.labels.rack}]",
      "    max_replicas_per_node: 2",
      "  endpoint_mode: dnsrr",
      "  labels: [traefik.enable=true, team=shop]",
      "  restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}",
      "  resources: {reservations: {cpus: '0.25', memory: 64m}}",
    ].join("\n");
    const web = webOn(SWARM, body);
    expect(web.replicas).toBe(4);
    expect(web.swarm).toEqual({
      mode: "replicated",
      constraints: ["node.role==worker", "node.labels.zone != b"],
      spread: ["node.labels.zone", "node.labels.rack"],
      maxReplicasPerNode: 2,
      endpointMode: "dnsrr",
      labels: { team: "shop", "traefik.enable": "true" },
      restartPolicy: { condition: "on-failure", delayMs: 5000, maxAttempts: 3, windowMs: 120_000 },
      reservedNanoCpus: 250_000_000,
      hostModePorts: ["443/tcp", "53/udp"],
    });
    expect(web.container.memoryReservationBytes).toBe(64 * 1024 * 1024);
    expect(web.unsent).toBeUndefined();
  });

  it("reads a global service with constraints", () => {
    expect(swarmOf("deploy:\n  mode: global\n  placement: {constraints: [node.platform.os==linux]}")).toEqual({
      ...DEFAULTS,
      mode: "global",
      constraints: ["node.platform.os==linux"],
    });
  });

  it.each([
    ["no", { condition: "none" }],
    ["always", { condition: "any" }],
    ["on-failure", { condition: "on-failure" }],
    ['"on-failure:3"', { condition: "on-failure", maxAttempts: 3 }],
  ])("reads restart: %s as Swarm's restart policy", (restart, policy) => {
    expect(swarmOf(`restart: ${restart}`)?.restartPolicy).toEqual(policy);
  });

  it("takes max_attempts under condition any (Swarm counts them under every condition; plain containers cannot)", () => {
    const body = "deploy: {restart_policy: {condition: any, max_attempts: 5}}";
    expect(swarmOf(body)?.restartPolicy).toEqual({ condition: "any", maxAttempts: 5 });
    expect(summary(problemsOn({}, body))).toEqual([
      "services.web.deploy.restart_policy.max_attempts: only applies to condition: on-failure; the Engine restarts without a limit under condition: any",
    ]);
  });

  it("sends restart_policy's delay and window and the CPU reservation on a Swarm, which plain containers leave unsent", () => {
    const body = "deploy:\n  restart_policy: {delay: 1s, window: 10s}\n  resources: {reservations: {cpus: 1}}";
    expect(webOn(SWARM, body).unsent).toBeUndefined();
    expect(webOn({}, body).unsent?.map((u) => u.key)).toEqual([
      "deploy.restart_policy.delay",
      "deploy.restart_policy.window",
      "deploy.resources.reservations.cpus",
    ]);
  });

  it("keeps depends_on service_healthy and service_started (gitdock orders the services itself)", () => {
    const web = webOn(SWARM, "depends_on:\n  db: {condition: service_healthy}");
    expect(web.dependsOn).toEqual([{ service: "db", condition: "service_healthy", required: true }]);
  });

  it("takes what a Swarm service carries on API 1.41 without a problem or a warning", () => {
    const body = [
      "command: [serve]",
      "environment: {A: b}",
      "ports: ['8080:80', '9000-9001:9000-9001/udp']",
      "volumes: [data:/data, {type: tmpfs, target: /tmp, tmpfs: {size: 16m}}]",
      "labels: {com.example.team: shop}",
      "healthcheck: {test: [CMD, 'true'], interval: 5s, start_period: 10s}",
      "user: '1000'",
      "group_add: [audio]",
      "read_only: true",
      "cap_add: [NET_BIND_SERVICE]",
      "cap_drop: [ALL]",
      "init: true",
      "tty: true",
      "stdin_open: true",
      "stop_signal: SIGINT",
      "stop_grace_period: 30s",
      "hostname: web",
      "extra_hosts: ['db.local:10.0.0.2']",
      "dns: [10.0.0.53]",
      "sysctls: {net.core.somaxconn: 1024}",
      "ulimits: {nofile: 65536}",
      "logging: {driver: json-file, options: {max-size: 10m}}",
      "pids_limit: 200",
      "mem_limit: 256m",
      "cpus: 0.5",
      "ipc: private",
      "networks: {default: {aliases: [www]}}",
      "configs: [{source: site, target: /etc/site.conf}]",
      "deploy: {update_config: {order: start-first, parallelism: 2}}",
    ].join("\n");
    const web = webOn(SWARM, body, "volumes:\n  data:\nconfigs:\n  site:\n    content: hello");
    expect(web.swarm).toEqual(DEFAULTS);
    expect(web.unsent).toEqual([{ key: "ipc", reason: expect.stringMatching(/daemon's default/) }]);
  });

  it("allows start-first with ports published through the routing mesh, not with a fixed port in host mode", () => {
    expect(swarmOf("ports: ['8080:80']\ndeploy: {update_config: {order: start-first}}")).toEqual(DEFAULTS);
    const found = problemsOn(SWARM, "ports: [{target: 80, published: 8080, mode: host}]\ndeploy: {update_config: {order: start-first}}");
    expect(summary(found)).toEqual([
      expect.stringMatching(/^services\.web\.deploy\.update_config\.order: start-first cannot be used with fixed host ports \(8080\)/),
    ]);
  });
});

/** [what, service body, top-level extra, path, line:col, message] */
type Refused = [string, string, string, string, string, RegExp];

const NETS = "networks:\n  back:";

const refusedOnSwarm: Refused[] = [
  ["container_name", "container_name: web-1", "", "services.web.container_name", "4:5", /Swarm names each task's container itself/],
  ["privileged", "privileged: true", "", "services.web.privileged", "4:5", /cannot run privileged on Engine API 1\.41; grant what it needs with cap_add/],
  ["devices", 'devices: ["/dev/ttyUSB0:/dev/ttyUSB0"]', "", "services.web.devices", "4:5", /cannot map host devices/],
  [
    "device requests (GPUs)",
    "deploy:\n  resources:\n    reservations:\n      devices:\n        - capabilities: [gpu]",
    "",
    "services.web.deploy.resources.reservations.devices",
    "7:11",
    /cannot request devices or GPUs/,
  ],
  ["pid", "pid: host", "", "services.web.pid", "4:5", /cannot set a PID namespace/],
  ["ipc other than the default", "ipc: host", "", "services.web.ipc", "4:5", /cannot set an IPC mode on Engine API 1\.41; remove ipc/],
  [
    "network_mode: host",
    "network_mode: host",
    "",
    "services.web.network_mode",
    "4:5",
    /join the network named host: networks: \{hostnet: \{external: true, name: host\}\}/,
  ],
  ["network_mode: service:", "network_mode: service:db", "", "services.web.network_mode", "4:5", /has no network mode: it joins networks; use networks:/],
  ["network_mode: container:", "network_mode: container:abc", "", "services.web.network_mode", "4:5", /has no network mode/],
  ["links", "links: [db]", "", "services.web.links", "4:5", /Swarm has no links: services on a shared network reach each other by service name/],
  [
    "external_links",
    "external_links: [proxy]",
    "",
    "services.web.external_links",
    "4:5",
    /Swarm has no links: attach the service to the other container's network/,
  ],
  ["cpu_shares", "cpu_shares: 512", "", "services.web.cpu_shares", "4:5", /no CPU weight .* deploy\.resources\.reservations\.cpus/],
  ["memswap_limit", "mem_limit: 1g\nmemswap_limit: 2g", "", "services.web.memswap_limit", "5:5", /cannot limit swap/],
  ["shm_size", "shm_size: 64m", "", "services.web.shm_size", "4:5", /no shm_size .* target: \/dev\/shm/],
  ["runtime", "runtime: runc", "", "services.web.runtime", "4:5", /node's default runtime .* default-runtime/],
  ["security_opt", 'security_opt: ["no-new-privileges:true"]', "", "services.web.security_opt", "4:5", /cannot carry security options .* cap_drop/],
  ["the tmpfs key", "tmpfs: /run", "", "services.web.tmpfs", "4:5", /no tmpfs key; write a volumes: entry instead/],
  [
    "a static address",
    "networks:\n  back:\n    ipv4_address: 10.0.0.5",
    NETS,
    "services.web.networks.back.ipv4_address",
    "6:9",
    /gives each task its own address/,
  ],
  ["a port's host address (short)", 'ports: ["127.0.0.1:8080:80"]', "", "services.web.ports[0]", "4:13", /publishes a port on every address of the node/],
  [
    "a port's host_ip (long)",
    "ports:\n  - target: 80\n    published: 8080\n    host_ip: 127.0.0.1",
    "",
    "services.web.ports[0].host_ip",
    "7:18",
    /publishes a port on every address of the node/,
  ],
  ["a host port range for one container port", 'ports: ["9000-9010:80"]', "", "services.web.ports[0]", "4:13", /one node port for one container port/],
  [
    "a port in both modes",
    'ports:\n  - "8080:80"\n  - {target: 80, published: 8081, mode: host}',
    "",
    "services.web.ports[1]",
    "6:9",
    /80\/tcp is published both in host mode and through the routing mesh/,
  ],
  [
    "dnsrr with an ingress port",
    'ports: ["8080:80"]\ndeploy: {endpoint_mode: dnsrr}',
    "",
    "services.web.deploy.endpoint_mode",
    "5:29",
    /dnsrr has no virtual address to publish 80\/tcp through the routing mesh; publish those ports with mode: host/,
  ],
  [
    "a file of the repository (short)",
    'volumes: ["./conf:/etc/app"]',
    "",
    "services.web.volumes[0]",
    "4:15",
    /nodes that run the tasks have neither; mount files with configs:/,
  ],
  [
    "a relative bind source (long)",
    "volumes:\n  - type: bind\n    source: ./data\n    target: /data",
    "",
    "services.web.volumes[0].source",
    "6:17",
    /relative source .* keep data in a named volume/,
  ],
  ["SELinux relabeling", 'volumes: ["/srv/app:/app:z"]', "", "services.web.volumes[0]", "4:15", /cannot relabel their source for SELinux/],
  [
    "a one-shot (service_completed_successfully)",
    "depends_on:\n  db:\n    condition: service_completed_successfully",
    "",
    "services.web.depends_on.db.condition",
    "6:20",
    /makes db a one-shot, and gitdock cannot wait for a Swarm task to complete yet; use service_started or service_healthy/,
  ],
  ["a release job", "x-gitdock: {job: pre-deploy}", "", "services.web.x-gitdock.job", "4:17", /release jobs are not available on a Swarm yet/],
  [
    "gitdock's probe of a port not published in host mode",
    "x-gitdock:\n  probe: {http: {port: 80}}",
    "",
    "services.web.x-gitdock.probe",
    "5:7",
    /probes each task at its node's address, through the port published for it there, and port 80 is not published in host mode; publish it so .*or use a Docker healthcheck/,
  ],
  ["replicas with mode: global", "deploy:\n  mode: global\n  replicas: 2", "", "services.web.deploy.replicas", "6:17", /cannot be combined with mode: global/],
  [
    "max_replicas_per_node with mode: global",
    "deploy:\n  mode: global\n  placement: {max_replicas_per_node: 1}",
    "",
    "services.web.deploy.placement.max_replicas_per_node",
    "6:42",
    /applies to mode: replicated only/,
  ],
  [
    "a constraint Swarm cannot read",
    "deploy:\n  placement: {constraints: [node.rol==manager]}",
    "",
    "services.web.deploy.placement.constraints[0]",
    "5:33",
    /expected a constraint like "node\.role==manager"/,
  ],
  [
    "a constraint without an operator",
    "deploy:\n  placement: {constraints: [node.role]}",
    "",
    "services.web.deploy.placement.constraints[0]",
    "5:33",
    /expected a constraint/,
  ],
  [
    "a stack label on the service",
    "deploy:\n  labels: {com.docker.stack.namespace: other}",
    "",
    'services.web.deploy.labels["com.docker.stack.namespace"]',
    "5:16",
    /is reserved: gitdock and Swarm set these labels themselves/,
  ],
  ["gitdock's label on the service", "deploy:\n  labels: [gitdock.managed=false]", "", "services.web.deploy.labels[0]", "5:16", /is reserved/],
  [
    "a Swarm label on the containers",
    "labels: {com.docker.swarm.service.name: x}",
    "",
    'services.web.labels["com.docker.swarm.service.name"]',
    "4:14",
    /is reserved/,
  ],
  [
    "a network of a local driver",
    "networks: [back]",
    "networks:\n  back:\n    driver: bridge",
    "networks.back.driver",
    "9:13",
    /a bridge network is local to one node .* driver: overlay/,
  ],
  [
    "an external secret",
    "",
    "secrets:\n  s:\n    external: true",
    "secrets.s.external",
    "9:5",
    /on a Swarm gitdock makes each stack's secrets itself from file:/,
  ],
  [
    "an external config",
    "",
    "configs:\n  c:\n    external: true",
    "configs.c.external",
    "9:5",
    /on a Swarm gitdock makes each stack's configs itself from file: or content:/,
  ],
  [
    "generic_resources",
    "deploy: {resources: {reservations: {generic_resources: []}}}",
    "",
    "services.web.deploy.resources.reservations.generic_resources",
    "4:41",
    /Swarm's generic resources are not supported by gitdock yet/,
  ],
];

describe("manifest under engine: swarm: gitdock's probe", () => {
  it("is read when the probed port is published in host mode: each task is probed at its node's address", () => {
    const web = webOn(SWARM, "ports:\n  - {target: 80, published: 8081, mode: host}\nx-gitdock:\n  probe: {http: {port: 80, path: /healthz}}");
    expect(web.gitdock.probe).toEqual({ kind: "http", port: 80, path: "/healthz", expectStatus: 200 });
    expect(web.swarm?.hostModePorts).toEqual(["80/tcp"]);
  });

  it("through the routing mesh (ingress) it could reach any task, or none: a located problem", () => {
    const problems = problemsOn(SWARM, "ports:\n  - {target: 80, published: 8081}\nx-gitdock:\n  probe: {tcp: {port: 80}}");
    expect(problems.map((p) => p.message).join("\n")).toMatch(/port 80 is not published in host mode/);
  });
});

describe("manifest under engine: swarm: what a Swarm service cannot carry is a located problem", () => {
  it.each(refusedOnSwarm)("%s", (_what, body, top, path, at, message) => {
    const found = problemsOn(SWARM, body, top);
    const match = found.find((p) => p.path === path && message.test(p.message));
    expect(match, `problems were:\n${summary(found).join("\n")}`).toBeDefined();
    expect(`${match?.file}:${match?.line}:${match?.col}`).toBe(`${FILE}:${at}`);
  });

  it("words every refusal of a key a Swarm cannot carry alike, and says what to do instead", () => {
    for (const [, body, top, path] of refusedOnSwarm.filter(([what]) => !/label|constraint|replicas|external|generic/.test(what))) {
      const found = problemsOn(SWARM, body, top).filter((p) => p.path === path);
      expect(found.length, path).toBeGreaterThan(0);
      for (const p of found) expect(p.message, path).toMatch(/^not supported on a Swarm \([^()]+; [^()]+\)$/);
    }
  });
});

/** [what, service body, the warned key, reason] */
const warnedOnSwarm: [string, string, string, RegExp][] = [
  ["ipc: private (the daemon's default)", "ipc: private", "ipc", /its tasks get the daemon's default/],
  ["ipc: shareable", "ipc: shareable", "ipc", /cannot set an IPC mode/],
  ["expose", 'expose: ["8080"]', "expose", /no exposed ports/],
  ["platform", "platform: linux/amd64", "platform", /node\.platform\.arch==x86_64/],
  ["pull_policy: always", "pull_policy: always", "pull_policy", /each node pulls the pinned image when it does not have it/],
  ["pull_policy: never", "pull_policy: never", "pull_policy", /Swarm has no pull policy/],
  ["restart: unless-stopped", "restart: unless-stopped", "restart", /Swarm has no unless-stopped/],
  [
    "an absolute bind source",
    'volumes: [/cache, "/srv/app:/app:ro"]',
    "volumes[1].bind.create_host_path",
    /does not create a missing bind source: it must exist on every node/,
  ],
  ["x-gitdock.writable_paths", "x-gitdock: {writable_paths: [/tmp]}", "x-gitdock.writable_paths", /does not look into a Swarm's tasks/],
  ["healthcheck.start_interval (API 1.44)", "healthcheck: {test: [CMD, 'true'], start_interval: 1s}", "healthcheck.start_interval", /Engine API 1\.44/],
];

describe("manifest under engine: swarm: what Swarm merely ignores is a warning (UnsentKey), never silence", () => {
  it.each(warnedOnSwarm)("%s", (_what, body, key, reason) => {
    const web = webOn(SWARM, body);
    expect(web.unsent?.filter((u) => u.key === key)).toEqual([{ key, reason: expect.stringMatching(reason) }]);
  });

  it("says nothing of a bind source written with create_host_path: false, which must exist anyway", () => {
    expect(webOn(SWARM, "volumes: [{type: bind, source: /srv/app, target: /app, bind: {create_host_path: false}}]").unsent).toBeUndefined();
  });

  it("restart: unless-stopped is restart condition any", () => {
    expect(swarmOf("restart: unless-stopped")?.restartPolicy).toEqual({ condition: "any" });
  });
});

describe("manifest under engine: containers: unchanged", () => {
  it.each([
    ["deploy.mode", "deploy: {mode: global}"],
    ["deploy.placement", "deploy: {placement: {constraints: [node.role==manager]}}"],
    ["deploy.endpoint_mode", "deploy: {endpoint_mode: dnsrr}"],
    ["deploy.labels", "deploy: {labels: {a: b}}"],
  ])("refuses %s at its key, saying how to drive a Swarm", (key, body) => {
    const found = problemsOn({ engine: "containers" }, body);
    expect(found.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^4:14 services\\.web\\.${key.replace(".", "\\.")}: not supported by gitdock \\(a Swarm setting; gitdock runs plain containers on one host; .*set engine: swarm in the agent's config to drive a Swarm\\)$`,
        ),
      ),
    ]);
  });

  it("leaves DesiredService.swarm out, and reads the Swarm refusals as plain keys", () => {
    const web = webOn({}, 'container_name: web-1\nports: ["127.0.0.1:8080:80"]\ncpu_shares: 512');
    expect(web).not.toHaveProperty("swarm");
    expect(web.containerName).toBe("web-1");
  });

  it("keeps the stacks, spec hashes and all, of the rich fixture and the examples exactly as before Swarm existed", async () => {
    const rich = "test/fixtures/manifest/rich/shop/compose.yaml";
    const files = [{ path: rich, content: readFileSync(rich, "utf8") }];
    const tree = await readDirectoryTree("examples/manifests/hosts/web-1", "examples/manifests/hosts/web-1");
    const sources: [string, () => DesiredStack[], string][] = [
      [
        "rich",
        () => loadWith(files, { engine: "containers" }, "test/fixtures/manifest/rich").stacks,
        "ea89ab2efbacb0cb5c183baa924bba502d015f32b5bf986528a44f8ae84ed708",
      ],
      ["examples", () => loadManifest(tree, { engine: "containers" }).stacks, "c58ffb48e1666858d5f7786bb59f7482c97585071d7942ae1b640f092688ce8b"],
    ];
    // Recorded at 031300c, before the manifest stage knew engines: a moved hash here would replace every container on upgrade.
    const before: Record<string, string> = {
      "shop/cache": "a7849267e4d040deee711831e6ec56a9821dd1a58d4f84d7cb9e71c259bfb1bf",
      "shop/db": "f0cfaaad5965d61ef9729d92452f2db44cc2b0e35b9aa9d3063f4c17203be8b2",
      "shop/web": "2834c509fa94fa7efba378dde3f0a1b4ea7d2fdd0222182607f97c038f7bd872",
      "blog/web": "079afb9d86d8132bb4ac43de9df40ebf3e0bc4d76d05737b925253ee4bbec78e",
      "shop/api": "516cf1f89c4217ad0d72435f28164e79f043a6e32604cf85c0a9f30fc339d8c3",
      "wiki/wiki": "31a6e930e09fb565bb02b8015cad9f606581c8d6aae05004578d3f085be21587",
    };
    const key = Buffer.alloc(32, 7);
    const seen: Record<string, string> = {};
    for (const [what, load, stacksDigest] of sources) {
      const stacks = load();
      expect(createHash("sha256").update(canonicalJson(stacks)).digest("hex"), what).toBe(stacksDigest);
      for (const stack of stacks) for (const s of stack.services) seen[`${what}:${stack.project}/${s.name}`] = specHashes(s.container, key, new Set()).specHash;
    }
    expect(seen).toEqual({
      "rich:shop/cache": before["shop/cache"],
      "rich:shop/db": before["shop/db"],
      "rich:shop/web": before["shop/web"],
      "examples:blog/web": before["blog/web"],
      "examples:shop/api": before["shop/api"],
      "examples:shop/web": "8d6d7e1eda21452d8b75c409debac862121d5ecf6a704ab2a9c47901b90a9820",
      "examples:wiki/wiki": before["wiki/wiki"],
    });
  });

  it("reads the same stacks with no engine given as with engine: containers", async () => {
    const tree = await readDirectoryTree("examples/manifests/hosts/web-1", "examples/manifests/hosts/web-1");
    expect(loadManifest(tree, {}).stacks).toEqual(loadManifest(tree, { engine: "containers" }).stacks);
  });
});
