import { describe, expect, it } from "vitest";
import type { DesiredService } from "../../src/model.js";
import { FILE, IMAGE, loadOrFail, problems, summary, web, webFile } from "../fixtures/manifest/helpers.js";

/** [what, service body, top-level extra, pick, expected] */
type Accepted = [string, string, string, (s: DesiredService) => unknown, unknown];

const c = (s: DesiredService) => s.container;

const NETS = "networks:\n  front:\n  back:";
const VOLS = "volumes:\n  data:";

const accepted: Accepted[] = [
  ["command string is split like a shell, not run by one", `command: echo "a b" 'c d' e\\ f`, "", (s) => c(s).command, ["echo", "a b", "c d", "e f"]],
  ["command operators stay words", "command: a && b", "", (s) => c(s).command, ["a", "&&", "b"]],
  ["command list stays as is", 'command: ["sh", "-c", "echo $$HOME"]', "", (s) => c(s).command, ["sh", "-c", "echo $HOME"]],
  ["command empty quotes make an empty word", `command: a ""`, "", (s) => c(s).command, ["a", ""]],
  ["entrypoint string", "entrypoint: /bin/run --fast", "", (s) => c(s).entrypoint, ["/bin/run", "--fast"]],
  ["entrypoint empty list clears it", "entrypoint: []", "", (s) => c(s).entrypoint, []],
  ["no command", "", "", (s) => c(s).command, undefined],
  [
    "environment map: scalars become strings, keys sorted",
    "environment:\n  B: 1\n  A: true\n  C: x",
    "",
    (s) => c(s).environment,
    { A: "true", B: "1", C: "x" },
  ],
  ["environment list KEY=VAL, later wins", "environment: [B=1, A=x=y, B=2, C=]", "", (s) => c(s).environment, { A: "x=y", B: "2", C: "" }],
  ["env_file string", "env_file: /etc/app.env", "", (s) => s.envFiles, ["/etc/app.env"]],
  ["env_file list keeps order", "env_file: [/b.env, /a.env]", "", (s) => s.envFiles, ["/b.env", "/a.env"]],
  ["env_file long form", "env_file:\n  - path: /a.env\n    required: true", "", (s) => s.envFiles, ["/a.env"]],
  ["port container only", 'ports: ["80"]', "", (s) => c(s).ports, [{ target: 80, published: undefined, hostIp: undefined, protocol: "tcp" }]],
  ["port as a number", "ports: [80]", "", (s) => c(s).ports, [{ target: 80, published: undefined, hostIp: undefined, protocol: "tcp" }]],
  ["port host:container", 'ports: ["8080:80"]', "", (s) => c(s).ports, [{ target: 80, published: "8080", hostIp: undefined, protocol: "tcp" }]],
  ["port ip:host:container", 'ports: ["127.0.0.1:8080:80"]', "", (s) => c(s).ports, [{ target: 80, published: "8080", hostIp: "127.0.0.1", protocol: "tcp" }]],
  ["port IPv6 host", 'ports: ["[::1]:8080:80"]', "", (s) => c(s).ports, [{ target: 80, published: "8080", hostIp: "::1", protocol: "tcp" }]],
  [
    "port ip with ephemeral host port",
    'ports: ["127.0.0.1::80"]',
    "",
    (s) => c(s).ports,
    [{ target: 80, published: undefined, hostIp: "127.0.0.1", protocol: "tcp" }],
  ],
  ["port udp", 'ports: ["53:53/udp"]', "", (s) => c(s).ports, [{ target: 53, published: "53", hostIp: undefined, protocol: "udp" }]],
  [
    "port ranges expand to pairs",
    'ports: ["8080-8081:80-81"]',
    "",
    (s) => c(s).ports,
    [
      { target: 80, published: "8080", hostIp: undefined, protocol: "tcp" },
      { target: 81, published: "8081", hostIp: undefined, protocol: "tcp" },
    ],
  ],
  [
    "host range for one container port",
    'ports: ["9000-9010:80"]',
    "",
    (s) => c(s).ports,
    [{ target: 80, published: "9000-9010", hostIp: undefined, protocol: "tcp" }],
  ],
  [
    "port long syntax, mode accepted and ignored",
    "ports:\n  - {target: 80, published: 8080, host_ip: 10.0.0.1, protocol: udp, mode: host}\n  - {target: 81, mode: ingress}",
    "",
    (s) => c(s).ports,
    [
      { target: 80, published: "8080", hostIp: "10.0.0.1", protocol: "udp" },
      { target: 81, published: undefined, hostIp: undefined, protocol: "tcp" },
    ],
  ],
  [
    "short and long port forms normalize alike",
    'ports: ["8080:80", {target: 80, published: "8080"}]',
    "",
    (s) => c(s).ports[0],
    c(web('ports: [{target: 80, published: "8080"}]')).ports[0],
  ],
  [
    "volumes short syntax: named, bind ro/rw, anonymous",
    'volumes: ["data:/data:ro", "/srv/x:/x:rw", "/cache"]',
    VOLS,
    (s) => c(s).mounts,
    [
      { type: "volume", source: "app_data", target: "/data", readOnly: true, nocopy: false },
      { type: "bind", source: "/srv/x", target: "/x", readOnly: false, createHostPath: true },
      { type: "volume", source: undefined, target: "/cache", readOnly: false, nocopy: false },
    ],
  ],
  [
    "volumes long syntax",
    [
      "volumes:",
      "  - {type: volume, source: data, target: /data, read_only: true, volume: {nocopy: true}}",
      "  - {type: bind, source: /srv, target: /srv, bind: {create_host_path: false}}",
      "  - {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}",
    ].join("\n"),
    VOLS,
    (s) => c(s).mounts,
    [
      { type: "volume", source: "app_data", target: "/data", readOnly: true, nocopy: true },
      { type: "bind", source: "/srv", target: "/srv", readOnly: false, createHostPath: false },
      { type: "tmpfs", target: "/tmp", sizeBytes: 64 * 1024 * 1024 },
    ],
  ],
  [
    "named volume with a name: mounts the Engine name",
    'volumes: ["data:/d"]',
    "volumes:\n  data:\n    name: shared-data",
    (s) => c(s).mounts[0],
    { type: "volume", source: "shared-data", target: "/d", readOnly: false, nocopy: false },
  ],
  ["networks list, sorted by key", "networks: [front, back]", NETS, (s) => c(s).networks.map((n) => n.key), ["back", "front"]],
  [
    "networks map with aliases and ipv4_address",
    "networks:\n  front:\n    aliases: [web2, web1, web1]\n    ipv4_address: 172.20.0.5\n  back:",
    NETS,
    (s) => c(s).networks,
    [
      { key: "back", aliases: [], ipv4Address: undefined },
      { key: "front", aliases: ["web1", "web2"], ipv4Address: "172.20.0.5" },
    ],
  ],
  ["no networks key joins default", "", "", (s) => c(s).networks, [{ key: "default", aliases: [], ipv4Address: undefined }]],
  ["default may be named without declaring it", "networks: [default]", "", (s) => c(s).networks.map((n) => n.key), ["default"]],
  ["labels map", "labels:\n  b: 1\n  a: x", "", (s) => c(s).labels, { a: "x", b: "1" }],
  ["labels list, KEY alone is empty", "labels: [a=1, b]", "", (s) => c(s).labels, { a: "1", b: "" }],
  ...["always", "on-failure", "on-failure:3", "unless-stopped"].map((r): Accepted => [`restart ${r}`, `restart: ${r}`, "", (s) => c(s).restart, r]),
  ["restart no is the default", "restart: no", "", (s) => c(s).restart, undefined],
  [
    "healthcheck string test runs in a shell",
    "healthcheck:\n  test: curl -f http://localhost",
    "",
    (s) => c(s).healthcheck?.test,
    ["CMD-SHELL", "curl -f http://localhost"],
  ],
  [
    "healthcheck list and timings",
    'healthcheck:\n  test: ["CMD", "true"]\n  interval: 1m30s\n  timeout: 500ms\n  retries: 3\n  start_period: 2us',
    "",
    (s) => c(s).healthcheck,
    { test: ["CMD", "true"], intervalMs: 90_000, timeoutMs: 500, retries: 3, startPeriodMs: 0.002 },
  ],
  ["healthcheck without test keeps the image's", "healthcheck:\n  interval: 10s", "", (s) => c(s).healthcheck?.test, []],
  [
    "healthcheck disable",
    "healthcheck:\n  disable: true\n  interval: 10s",
    "",
    (s) => c(s).healthcheck,
    { test: ["NONE"], intervalMs: undefined, timeoutMs: undefined, retries: undefined, startPeriodMs: undefined },
  ],
  ["healthcheck NONE equals disable", 'healthcheck:\n  test: ["NONE"]', "", (s) => c(s).healthcheck, c(web("healthcheck: {disable: true}")).healthcheck],
  ["user as a number", "user: 1000", "", (s) => c(s).user, "1000"],
  ["user and group", "user: app:app", "", (s) => c(s).user, "app:app"],
  ["working_dir", "working_dir: /app", "", (s) => c(s).workingDir, "/app"],
  ["read_only and privileged", "read_only: true\nprivileged: true", "", (s) => [c(s).readOnly, c(s).privileged], [true, true]],
  ["read_only and privileged default false", "", "", (s) => [c(s).readOnly, c(s).privileged], [false, false]],
  ["cap_add sorted, one spelling", "cap_add: [SYS_TIME, cap_net_admin, NET_ADMIN]", "", (s) => c(s).capAdd, ["NET_ADMIN", "SYS_TIME"]],
  ["cap_drop", "cap_drop: [ALL]", "", (s) => c(s).capDrop, ["ALL"]],
  ["network_mode host joins no network", "network_mode: host", "", (s) => [c(s).networkMode, c(s).networks], ["host", []]],
  ["depends_on list", "depends_on: [db]", "", (s) => s.dependsOn, [{ service: "db", condition: "service_started", required: true }]],
  [
    "depends_on map, restart accepted and ignored",
    "depends_on:\n  db: {condition: service_healthy, required: false, restart: true}",
    "",
    (s) => s.dependsOn,
    [{ service: "db", condition: "service_healthy", required: false }],
  ],
  ["deploy.replicas", "deploy: {replicas: 3}", "", (s) => s.replicas, 3],
  ["deploy.replicas 0", "deploy: {replicas: 0}", "", (s) => s.replicas, 0],
  ["replicas default 1", "", "", (s) => s.replicas, 1],
  ...(
    [
      ["512m", 512 * 1024 ** 2],
      ["1g", 1024 ** 3],
      ["100k", 102_400],
      ["1024b", 1024],
      ["2GB", 2 * 1024 ** 3],
      [1048576, 1048576],
    ] as const
  ).map(([m, bytes]): Accepted => [`memory ${m}`, `deploy: {resources: {limits: {memory: ${m}}}}`, "", (s) => c(s).memoryBytes, bytes]),
  ["cpus string", 'deploy: {resources: {limits: {cpus: "0.5"}}}', "", (s) => c(s).nanoCpus, 500_000_000],
  ["cpus number", "deploy: {resources: {limits: {cpus: 2}}}", "", (s) => c(s).nanoCpus, 2_000_000_000],
  [
    "update_config defaults",
    "",
    "",
    (s) => [s.updateConfig, s.rollbackConfig],
    [
      { parallelism: 1, delayMs: 0, order: "stop-first", failureAction: "rollback", monitorMs: 10_000 },
      { parallelism: 1, delayMs: 0, order: "stop-first", failureAction: "rollback", monitorMs: 10_000 },
    ],
  ],
  [
    "update_config and rollback_config values",
    "deploy:\n  update_config: {parallelism: 2, delay: 5s, order: start-first, failure_action: pause, monitor: 1m}\n  rollback_config: {failure_action: continue}",
    "",
    (s) => [s.updateConfig, s.rollbackConfig.failureAction],
    [{ parallelism: 2, delayMs: 5000, order: "start-first", failureAction: "pause", monitorMs: 60_000 }, "continue"],
  ],
  [
    "stop_grace_period, stop_signal, hostname",
    "stop_grace_period: 1h\nstop_signal: SIGINT\nhostname: box",
    "",
    (s) => [c(s).stopGracePeriodMs, c(s).stopSignal, c(s).hostname],
    [3_600_000, "SIGINT", "box"],
  ],
  [
    "extra_hosts list, sorted",
    'extra_hosts: ["b.test:10.0.0.2", "a.test=10.0.0.1", "v6:::1"]',
    "",
    (s) => c(s).extraHosts,
    ["a.test:10.0.0.1", "b.test:10.0.0.2", "v6:::1"],
  ],
  [
    "extra_hosts map",
    "extra_hosts:\n  gw: host-gateway\n  db: [10.0.0.3, 10.0.0.4]",
    "",
    (s) => c(s).extraHosts,
    ["db:10.0.0.3", "db:10.0.0.4", "gw:host-gateway"],
  ],
  [
    "logging",
    "logging:\n  driver: json-file\n  options: {max-size: 10m, max-file: 3}",
    "",
    (s) => c(s).logging,
    { driver: "json-file", options: { "max-file": "3", "max-size": "10m" } },
  ],
  ["empty logging is the default", "logging: {}", "", (s) => c(s).logging, undefined],
  ["init", "init: true", "", (s) => c(s).init, true],
  ["init unset", "", "", (s) => c(s).init, undefined],
  ["tmpfs string", "tmpfs: /run", "", (s) => c(s).tmpfs, ["/run"]],
  ["tmpfs list sorted", "tmpfs: [/tmp, /run:size=64m]", "", (s) => c(s).tmpfs, ["/run:size=64m", "/tmp"]],
  [
    "ulimits",
    "ulimits:\n  nproc: 65535\n  nofile: {soft: 1024, hard: 2048}",
    "",
    (s) => c(s).ulimits,
    { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 65535, hard: 65535 } },
  ],
  ["x-* keys are ignored everywhere", 'x-note: hi\ndeploy: {x-team: a, replicas: 2}\nhealthcheck: {x-why: b, test: "true"}', "x-top: 1", (s) => s.replicas, 2],
  [
    "x-gitdock http probe defaults",
    "x-gitdock:\n  probe: {http: {port: 8080}}",
    "",
    (s) => s.gitdock,
    { probe: { kind: "http", port: 8080, path: "/", expectStatus: 200 }, healthTimeoutMs: 120_000 },
  ],
  [
    "x-gitdock http probe values",
    "x-gitdock:\n  probe: {http: {port: 80, path: /healthz, expect_status: 204}}\n  health_timeout: 30s",
    "",
    (s) => s.gitdock,
    { probe: { kind: "http", port: 80, path: "/healthz", expectStatus: 204 }, healthTimeoutMs: 30_000 },
  ],
  ["x-gitdock tcp probe", "x-gitdock:\n  probe: {tcp: {port: 5432}}", "", (s) => s.gitdock.probe, { kind: "tcp", port: 5432 }],
  ["no x-gitdock", "", "", (s) => s.gitdock, { probe: undefined, healthTimeoutMs: 120_000 }],
];

describe("manifest: supported service keys", () => {
  it.each(accepted)("%s", (_what, body, top, pick, expected) => {
    const service = /depends_on|service:db/.test(body) ? webWithDb(body, top) : web(body, top);
    expect(pick(service)).toEqual(expected);
  });

  it("network_mode service:<name> names another service", () => {
    expect(c(webWithDb("network_mode: service:db", "")).networkMode).toBe("service:db");
  });
});

/** `web` in a file that also has a service `db`, which depends_on and network_mode can name. */
function webWithDb(body: string, top: string): DesiredService {
  const content = webFile(body, top).replace("services:\n", `services:\n  db:\n    image: ${IMAGE}\n`);
  const service = loadOrFail([{ path: FILE, content }])[0]?.services.find((s) => s.name === "web");
  if (!service) throw new Error("no service web");
  return service;
}

/** [what, service body, top-level extra, path of the problem, message pattern] */
type Refused = [string, string, string, string, RegExp];

const refused: Refused[] = [
  ["command with an unterminated quote", "command: echo 'oops", "", "services.web.command", /unterminated single quote/],
  // `environment: [FOO]` and `FOO:` with no value now pass the host's value through: manifest-interpolation.test.ts.
  ["environment list without a key", "environment: [=x]", "", "services.web.environment[0]", /KEY=VALUE/],
  ["env_file relative path not in the repository", "env_file: app.env", "", "services.web.env_file", /not in the repository \(stacks\/app\/app\.env\)/],
  ["env_file relative in list", "env_file: [/ok.env, ./app.env]", "", "services.web.env_file[1]", /not in the repository/],
  ["env_file required: false", "env_file:\n  - {path: /a.env, required: false}", "", "services.web.env_file[0].required", /not supported/],
  ["port that is not a port", 'ports: ["http"]', "", "services.web.ports[0]", /expected a port like "8080:80"/],
  ["port of the wrong type", "ports: [true]", "", "services.web.ports[0]", /^expected a port like "8080:80" or a mapping$/],
  ["port ranges of different lengths", 'ports: ["8080-8082:80-81"]', "", "services.web.ports[0]", /differ in length/],
  ["host port for a container range", 'ports: ["8080:80-81"]', "", "services.web.ports[0]", /differ in length/],
  ["port 0", 'ports: ["0:80"]', "", "services.web.ports[0]", /not a port/],
  ["port out of range", "ports: [70000]", "", "services.web.ports[0]", /at most 65535/],
  ["unknown protocol", 'ports: ["80/icmp"]', "", "services.web.ports[0]", /unknown protocol "icmp"/],
  ["host ip that is not an address", 'ports: ["localhost:80:80"]', "", "services.web.ports[0]", /not an IP address/],
  ["long port without target", "ports: [{published: 80}]", "", "services.web.ports[0].target", /missing/],
  ["long port with an unknown mode", "ports: [{target: 80, mode: overlay}]", "", "services.web.ports[0].mode", /expected one of "ingress", "host"/],
  [
    "relative bind path outside the host's directory",
    'volumes: ["../../etc:/data"]',
    "",
    "services.web.volumes[0]",
    /"\.\.\/\.\.\/etc" leads outside this host's directory of the repository \(stacks\)/,
  ],
  ["home-relative bind path", 'volumes: ["~/data:/data"]', "", "services.web.volumes[0]", /home directory/],
  ["named volume not declared", 'volumes: ["data:/data"]', "", "services.web.volumes[0]", /volume "data" is not declared/],
  ["long named volume not declared", "volumes: [{type: volume, source: data, target: /d}]", "", "services.web.volumes[0].source", /not declared/],
  ["relative container path", 'volumes: ["/srv:srv"]', "", "services.web.volumes[0]", /must be absolute/],
  ["unsupported mount mode", 'volumes: ["/srv:/srv:q"]', "", "services.web.volumes[0]", /unsupported mount mode "q"/],
  [
    "long bind with a source outside the host's directory",
    "volumes: [{type: bind, source: ../../x, target: /x}]",
    "",
    "services.web.volumes[0].source",
    /leads outside/,
  ],
  [
    "a data directory outside the stack's directory",
    'volumes: ["../shared:/shared"]',
    "",
    "services.web.volumes[0]",
    /data directory must lie inside the stack's directory \(stacks\/app\)/,
  ],
  [
    "a long volume whose source is a path",
    "volumes: [{type: volume, source: ./x, target: /x}]",
    "",
    "services.web.volumes[0].source",
    /is a path, not a volume key; use type: bind/,
  ],
  ["configs that are not a list", "configs: x", "", "services.web.configs", /expected a list/],
  ["long bind without source", "volumes: [{type: bind, target: /x}]", "", "services.web.volumes[0]", /needs a source/],
  ["tmpfs mount with a source", "volumes: [{type: tmpfs, source: x, target: /x}]", "", "services.web.volumes[0].source", /no source/],
  [
    "option of another mount type",
    "volumes: [{type: bind, source: /x, target: /x, volume: {nocopy: true}}]",
    "",
    "services.web.volumes[0].volume",
    /only applies to type: volume/,
  ],
  ["unknown mount type", "volumes: [{type: npipe, source: x, target: /x}]", "", "services.web.volumes[0].type", /expected one of/],
  ["two mounts on one path", 'volumes: ["/a:/x", "/b:/x"]', "", "services.web.volumes[1]", /already uses \/x/],
  ["network not declared", "networks: [front]", "", "services.web.networks[0]", /network "front" is not declared/],
  ["network map not declared", "networks:\n  front: {aliases: [a]}", "", "services.web.networks.front", /not declared/],
  ["ipv4_address not IPv4", "networks:\n  front: {ipv4_address: fe80::1}", NETS, "services.web.networks.front.ipv4_address", /not an IPv4 address/],
  ["restart value unknown", "restart: sometimes", "", "services.web.restart", /expected "no", "always"/],
  ["healthcheck list with a bad first element", 'healthcheck:\n  test: ["curl", "x"]', "", "services.web.healthcheck.test", /"CMD", "prog"/],
  ["healthcheck disable with a test", "healthcheck:\n  disable: true\n  test: echo", "", "services.web.healthcheck.test", /cannot be combined with disable/],
  ["network_mode with networks", "network_mode: host\nnetworks: [default]", "", "services.web.network_mode", /cannot be combined with networks/],
  ["network_mode service: unknown", "network_mode: service:nope", "", "services.web.network_mode", /service "nope" is not defined/],
  ["network_mode service: itself", "network_mode: service:web", "", "services.web.network_mode", /own network stack/],
  ["depends_on unknown service", "depends_on: [nope]", "", "services.web.depends_on[0]", /service "nope" is not defined in this file/],
  ["depends_on map unknown service", "depends_on:\n  nope: {condition: service_started}", "", "services.web.depends_on.nope", /not defined/],
  ["depends_on bad condition", "depends_on:\n  web: {condition: service_ready}", "", "services.web.depends_on.web.condition", /expected one of/],
  ["depends_on itself is a cycle", "depends_on: [web]", "", "services.web.depends_on", /dependency cycle: web -> web/],
  ["negative replicas", "deploy: {replicas: -1}", "", "services.web.deploy.replicas", /at least 0/],
  ["fractional replicas", "deploy: {replicas: 1.5}", "", "services.web.deploy.replicas", /expected a whole number/],
  ["memory with a bad unit", "deploy: {resources: {limits: {memory: 1x}}}", "", "services.web.deploy.resources.limits.memory", /expected a size like "512m"/],
  ["cpus 0", "deploy: {resources: {limits: {cpus: 0}}}", "", "services.web.deploy.resources.limits.cpus", /expected a number of CPUs|greater than 0/],
  ["cpus not a number", 'deploy: {resources: {limits: {cpus: "half"}}}', "", "services.web.deploy.resources.limits.cpus", /expected a number of CPUs/],
  [
    "update order unknown",
    "deploy: {update_config: {order: random}}",
    "",
    "services.web.deploy.update_config.order",
    /expected one of "stop-first", "start-first"/,
  ],
  ["failure_action unknown", "deploy: {rollback_config: {failure_action: retry}}", "", "services.web.deploy.rollback_config.failure_action", /expected one of/],
  ["parallelism 0", "deploy: {update_config: {parallelism: 0}}", "", "services.web.deploy.update_config.parallelism", /at least 1/],
  ["update_config unknown key", "deploy: {update_config: {retries: 1}}", "", "services.web.deploy.update_config.retries", /not supported by gitdock/],
  ["duration as a bare number", "stop_grace_period: 10", "", "services.web.stop_grace_period", /expected a duration like "10s"/],
  ["duration with days", "stop_grace_period: 1d", "", "services.web.stop_grace_period", /expected a duration/],
  ["duration with a space", 'healthcheck: {interval: "10 s"}', "", "services.web.healthcheck.interval", /expected a duration/],
  ["x-gitdock health_timeout not a duration", "x-gitdock: {health_timeout: soon}", "", "services.web.x-gitdock.health_timeout", /expected a duration/],
  ["extra_hosts entry without an address", 'extra_hosts: ["db"]', "", "services.web.extra_hosts[0]", /expected "host:ip"/],
  ["extra_hosts bad address", 'extra_hosts: ["db:nowhere"]', "", "services.web.extra_hosts[0]", /not an IP address/],
  ["tmpfs relative path", "tmpfs: run", "", "services.web.tmpfs", /must be absolute/],
  ["ulimit soft above hard", "ulimits:\n  nofile: {soft: 10, hard: 5}", "", "services.web.ulimits.nofile.soft", /cannot exceed/],
  ["ulimit missing hard", "ulimits:\n  nofile: {soft: 10}", "", "services.web.ulimits.nofile.hard", /missing/],
  ["probe with both http and tcp", "x-gitdock: {probe: {http: {port: 80}, tcp: {port: 80}}}", "", "services.web.x-gitdock.probe", /exactly one of http or tcp/],
  ["probe with neither", "x-gitdock: {probe: {}}", "", "services.web.x-gitdock.probe", /exactly one of http or tcp/],
  ["probe http without port", "x-gitdock: {probe: {http: {path: /}}}", "", "services.web.x-gitdock.probe.http.port", /missing/],
  ["probe path without a slash", "x-gitdock: {probe: {http: {port: 80, path: health}}}", "", "services.web.x-gitdock.probe.http.path", /must start with "\/"/],
  ["x-gitdock unknown key", "x-gitdock: {retries: 3}", "", "services.web.x-gitdock.retries", /not supported by gitdock/],
  ["reserved gitdock label", "labels: {gitdock.managed: 'false'}", "", 'services.web.labels["gitdock.managed"]', /reserved/],
  ["reserved compose label", "labels: [com.docker.compose.project=x]", "", 'services.web.labels["com.docker.compose.project"]', /reserved/],
  ["wrong type: labels as a string", "labels: web", "", "services.web.labels", /expected a mapping or a list of "KEY=VALUE" strings/],
  ["wrong type: read_only as a string", "read_only: yes", "", "services.web.read_only", /expected true or false, got the string "yes"/],
  ["wrong type: cap_add as a string", "cap_add: NET_ADMIN", "", "services.web.cap_add", /expected a list, got the string/],
];

const swarmOnly: Refused[] = [
  ["deploy.mode", "deploy: {mode: global}", "", "services.web.deploy.mode", /Swarm/],
  ["deploy.placement", "deploy: {placement: {constraints: []}}", "", "services.web.deploy.placement", /Swarm/],
  ["deploy.labels", "deploy: {labels: {a: b}}", "", "services.web.deploy.labels", /Swarm.*labels on the service/],
  ["deploy.endpoint_mode", "deploy: {endpoint_mode: vip}", "", "services.web.deploy.endpoint_mode", /Swarm/],
  [
    "deploy.resources.reservations.generic_resources",
    "deploy: {resources: {reservations: {generic_resources: []}}}",
    "",
    "services.web.deploy.resources.reservations.generic_resources",
    /Swarm.*devices/,
  ],
];

const unsupported: Refused[] = [
  ["build", "build: .", "", "services.web.build", /^not supported by gitdock \(images must be built elsewhere and pinned by digest\)$/],
  ["gpus", "gpus: all", "", "services.web.gpus", /deploy.resources.reservations.devices/],
  // secrets, devices, pid and ipc are supported (the host policy decides): manifest-host-access.test.ts.
  // extends and profiles are supported: manifest-compose-files.test.ts and manifest-profiles.test.ts;
  // configs too: files-manifest.test.ts.
  ["an unknown key", "enviroment: {A: b}", "", "services.web.enviroment", /not supported by gitdock \(unknown key/],
];

describe("manifest: refused service settings", () => {
  it.each([...refused, ...swarmOnly, ...unsupported])("%s", (_what, body, top, path, message) => {
    const found = problems(webFile(body, top));
    const match = found.find((p) => p.path === path && message.test(p.message));
    expect(match, `problems were:\n${summary(found).join("\n")}`).toBeDefined();
    expect(match?.file).toBe(FILE);
  });
});
