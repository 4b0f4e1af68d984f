/**
 * The Compose keys real stacks use (issue 11): each accepted form normalizes to one canonical
 * value (equal meanings, equal objects), each refused form is reported at its key with what to do.
 */
import { describe, expect, it } from "vitest";
import type { DesiredService, DesiredStack } from "../../src/model.js";
import { FILE, IMAGE, load, loadOrFail, problems, summary, web, webFile } from "../fixtures/manifest/helpers.js";

const c = (s: DesiredService) => s.container;
const NETS = "networks:\n  front:\n  back:";
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** [what, service body, top-level extra, pick, expected] */
type Accepted = [string, string, string, (s: DesiredService) => unknown, unknown];

const accepted: Accepted[] = [
  [
    "expose: ports and ranges as port/protocol, sorted",
    'expose: ["8001-8002", 53/udp, 3000]',
    "",
    (s) => c(s).expose,
    ["53/udp", "3000/tcp", "8001/tcp", "8002/tcp"],
  ],
  ["expose: a port ports already exposes means nothing more", 'expose: [80, 81]\nports: ["8080:80"]', "", (s) => c(s).expose, ["81/tcp"]],
  ["expose: only ports already exposed leaves the key out", 'expose: [80]\nports: ["8080:80"]', "", (s) => "expose" in c(s), false],
  ["shm_size", "shm_size: 256m", "", (s) => c(s).shmSizeBytes, 256 * MiB],
  ["shm_size in bytes", "shm_size: 67108864", "", (s) => c(s).shmSizeBytes, 64 * MiB],
  [
    "security_opt in one spelling, sorted, the default dropped",
    'security_opt: ["no-new-privileges", "label:type:svirt_apache_t", "apparmor=unconfined", "no-new-privileges:false"]',
    "",
    (s) => c(s).securityOpt,
    ["apparmor=unconfined", "label=type:svirt_apache_t", "no-new-privileges=true"],
  ],
  [
    "security_opt no-new-privileges spellings are one",
    'security_opt: ["no-new-privileges:true"]',
    "",
    (s) => c(s).securityOpt,
    c(web("security_opt: [no-new-privileges]")).securityOpt,
  ],
  [
    "sysctls map, values as strings",
    "sysctls:\n  net.core.somaxconn: 1024\n  net.ipv4.tcp_syncookies: 0",
    "",
    (s) => c(s).sysctls,
    { "net.core.somaxconn": "1024", "net.ipv4.tcp_syncookies": "0" },
  ],
  [
    "sysctls list equals the map",
    'sysctls: ["net.ipv4.tcp_syncookies=0", "net.core.somaxconn=1024"]',
    "",
    (s) => c(s).sysctls,
    c(web("sysctls: {net.core.somaxconn: 1024, net.ipv4.tcp_syncookies: 0}")).sysctls,
  ],
  ["platform lower case", "platform: Linux/AMD64", "", (s) => c(s).platform, "linux/amd64"],
  ["platform architecture aliases", "platform: linux/x86_64", "", (s) => c(s).platform, "linux/amd64"],
  ["platform arm64/v8 is arm64", "platform: linux/arm64/v8", "", (s) => c(s).platform, "linux/arm64"],
  ["platform arm is arm/v7", "platform: linux/arm", "", (s) => c(s).platform, "linux/arm/v7"],
  ["runtime", "runtime: runc", "", (s) => c(s).runtime, "runc"],
  ["dns string", "dns: 1.1.1.1", "", (s) => c(s).dns, ["1.1.1.1"]],
  ["dns list keeps its order", "dns: [9.9.9.9, 1.1.1.1]", "", (s) => c(s).dns, ["9.9.9.9", "1.1.1.1"]],
  ["dns_search keeps its order", "dns_search: [b.example, a.example]", "", (s) => c(s).dnsSearch, ["b.example", "a.example"]],
  ["dns_opt sorted", 'dns_opt: ["use-vc", "ndots:2"]', "", (s) => c(s).dnsOptions, ["ndots:2", "use-vc"]],
  ["tty and stdin_open", "tty: true\nstdin_open: true", "", (s) => [c(s).tty, c(s).stdinOpen], [true, true]],
  ["tty: false is the default, left out", "tty: false\nstdin_open: false", "", (s) => ["tty" in c(s), "stdinOpen" in c(s)], [false, false]],
  ["group_add names and numbers, sorted", "group_add: [video, 1001, audio]", "", (s) => c(s).groupAdd, ["1001", "audio", "video"]],
  ["external_links alias defaults to the name", "external_links: [proxy, db_1:database]", "", (s) => c(s).externalLinks, ["db_1:database", "proxy:proxy"]],
  ["mem_limit", "mem_limit: 1g", "", (s) => c(s).memoryBytes, GiB],
  ["mem_limit equals deploy.resources.limits.memory", "mem_limit: 1g\ndeploy: {resources: {limits: {memory: 1024m}}}", "", (s) => c(s).memoryBytes, GiB],
  ["memswap_limit", "mem_limit: 1g\nmemswap_limit: 2g", "", (s) => c(s).memorySwapBytes, 2 * GiB],
  ["memswap_limit -1 is unlimited swap", "mem_limit: 1g\nmemswap_limit: -1", "", (s) => c(s).memorySwapBytes, -1],
  ["mem_reservation", "mem_reservation: 512m", "", (s) => c(s).memoryReservationBytes, 512 * MiB],
  ["reservations.memory is mem_reservation", "deploy: {resources: {reservations: {memory: 512m}}}", "", (s) => c(s).memoryReservationBytes, 512 * MiB],
  ["cpus", 'cpus: "1.5"', "", (s) => c(s).nanoCpus, 1_500_000_000],
  ["cpus equals limits.cpus", "cpus: 0.5\ndeploy: {resources: {limits: {cpus: '0.5'}}}", "", (s) => c(s).nanoCpus, 500_000_000],
  ["cpu_shares", "cpu_shares: 512", "", (s) => c(s).cpuShares, 512],
  ["cpu_shares 0 is the default, left out", "cpu_shares: 0", "", (s) => "cpuShares" in c(s), false],
  ["pids_limit", "pids_limit: 100", "", (s) => c(s).pidsLimit, 100],
  ["pids_limit 0 is -1 (unlimited)", "pids_limit: 0", "", (s) => c(s).pidsLimit, -1],
  ["limits.pids is pids_limit", "deploy: {resources: {limits: {pids: 50}}}", "", (s) => c(s).pidsLimit, 50],
  [
    "reservations.devices: count all by default, capabilities sorted",
    "deploy:\n  resources:\n    reservations:\n      devices:\n        - {driver: nvidia, capabilities: [utility, gpu]}\n        - {capabilities: [gpu], device_ids: ['0', '3'], options: {a: 1}}\n        - {capabilities: [gpu], count: 2}",
    "",
    (s) => c(s).deviceRequests,
    [
      { driver: "nvidia", count: -1, deviceIds: [], capabilities: ["gpu", "utility"], options: {} },
      { driver: "", count: 0, deviceIds: ["0", "3"], capabilities: ["gpu"], options: { a: "1" } },
      { driver: "", count: 2, deviceIds: [], capabilities: ["gpu"], options: {} },
    ],
  ],
  ["restart_policy any is always", "deploy: {restart_policy: {condition: any}}", "", (s) => c(s).restart, "always"],
  ["restart_policy without a condition is always", "deploy: {restart_policy: {}}", "", (s) => c(s).restart, "always"],
  [
    "restart_policy on-failure with max_attempts",
    "deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}",
    "",
    (s) => c(s).restart,
    "on-failure:3",
  ],
  ["restart_policy none is no", "deploy: {restart_policy: {condition: none}}", "", (s) => c(s).restart, undefined],
  ["restart_policy and an equal restart", "restart: always\ndeploy: {restart_policy: {condition: any}}", "", (s) => c(s).restart, "always"],
  [
    "restart_policy delay and window are accepted, not sent, and said so",
    "deploy: {restart_policy: {condition: on-failure, delay: 5s, window: 1m}}",
    "",
    (s) => [c(s).restart, s.unsent?.map((u) => u.key)],
    ["on-failure", ["deploy.restart_policy.delay", "deploy.restart_policy.window"]],
  ],
  [
    "reservations.cpus is accepted, not sent, and said so",
    "deploy: {resources: {reservations: {cpus: '0.5'}}}",
    "",
    (s) => s.unsent?.map((u) => u.key),
    ["deploy.resources.reservations.cpus"],
  ],
  [
    "healthcheck.start_interval is accepted, not sent, and said so",
    "healthcheck: {test: 'true', interval: 30s, start_period: 1m, start_interval: 1s}",
    "",
    (s) => [c(s).healthcheck, s.unsent],
    [
      { test: ["CMD-SHELL", "true"], intervalMs: 30_000, timeoutMs: undefined, retries: undefined, startPeriodMs: 60_000 },
      [{ key: "healthcheck.start_interval", reason: expect.stringMatching(/API 1\.44/) }],
    ],
  ],
  [
    "max_failure_ratio in update_config and rollback_config",
    "deploy:\n  update_config: {max_failure_ratio: 0.5}\n  rollback_config: {max_failure_ratio: 1}",
    "",
    (s) => [s.updateConfig.maxFailureRatio, s.rollbackConfig.maxFailureRatio],
    [0.5, 1],
  ],
  ["max_failure_ratio 0 is the default, left out", "deploy: {update_config: {max_failure_ratio: 0}}", "", (s) => "maxFailureRatio" in s.updateConfig, false],
  ["container_name", "container_name: app_postgres", "", (s) => s.containerName, "app_postgres"],
  ["pull_policy always", "pull_policy: always", "", (s) => s.pullPolicy, "always"],
  ["pull_policy never", "pull_policy: never", "", (s) => s.pullPolicy, "never"],
  ...["missing", "if_not_present", "daily", "weekly", "every_12h", "refresh"].map((p): Accepted => [
    `pull_policy ${p} is the default`,
    `pull_policy: ${p}`,
    "",
    (s) => "pullPolicy" in s,
    false,
  ]),
  [
    "volumes :z and :Z on short binds",
    'volumes: ["/srv/a:/a:z", "/srv/b:/b:ro,Z", "/srv/c:/c"]',
    "",
    (s) => c(s).mounts,
    [
      { type: "bind", source: "/srv/a", target: "/a", readOnly: false, createHostPath: true, selinux: "z" },
      { type: "bind", source: "/srv/b", target: "/b", readOnly: true, createHostPath: true, selinux: "Z" },
      { type: "bind", source: "/srv/c", target: "/c", readOnly: false, createHostPath: true },
    ],
  ],
  [
    "bind.selinux equals the short :z",
    "volumes: [{type: bind, source: /srv/a, target: /a, bind: {selinux: z}}]",
    "",
    (s) => c(s).mounts,
    c(web('volumes: ["/srv/a:/a:z"]')).mounts,
  ],
];

describe("manifest: the Compose keys real stacks use", () => {
  it.each(accepted)("%s", (_what, body, top, pick, expected) => {
    expect(pick(web(body, top))).toEqual(expected);
  });

  it("leaves every new key out of a spec that does not use it, so existing containers keep their spec hash", () => {
    const s = web("");
    const newKeys = [
      "expose",
      "shmSizeBytes",
      "securityOpt",
      "sysctls",
      "platform",
      "runtime",
      "dns",
      "dnsSearch",
      "dnsOptions",
      "tty",
      "stdinOpen",
      "groupAdd",
      "externalLinks",
      "memoryReservationBytes",
      "memorySwapBytes",
      "cpuShares",
      "pidsLimit",
      "deviceRequests",
    ];
    for (const key of newKeys) expect(Object.keys(s.container)).not.toContain(key);
    for (const key of ["containerName", "pullPolicy", "unsent"]) expect(Object.keys(s)).not.toContain(key);
    expect(Object.keys(s.updateConfig)).not.toContain("maxFailureRatio");
  });
});

describe("manifest: links as network aliases", () => {
  const file = (webBody: string, dbBody = "", top = "") =>
    `services:\n  web:\n    image: ${IMAGE}\n${webBody}\n  db:\n    image: ${IMAGE}\n${dbBody}\n${top}\n`;
  const services = (stacks: DesiredStack[]) => new Map((stacks[0]?.services ?? []).map((s) => [s.name, s]));

  it("gives the linked service the alias on the networks both join, and the linker a dependency", () => {
    const found = services(loadOrFail([{ path: FILE, content: file("    links: [db:database]\n    networks: [front, back]", "    networks: [back]", NETS) }]));
    expect(found.get("db")?.container.networks).toEqual([{ key: "back", aliases: ["database"], ipv4Address: undefined }]);
    expect(found.get("web")?.dependsOn).toEqual([{ service: "db", condition: "service_started", required: true }]);
  });

  it("a link by the service name alone adds no alias (the service name is one already)", () => {
    const found = services(loadOrFail([{ path: FILE, content: file("    links: [db]") }]));
    expect(found.get("db")?.container.networks).toEqual([{ key: "default", aliases: [], ipv4Address: undefined }]);
    expect(found.get("web")?.dependsOn.map((d) => d.service)).toEqual(["db"]);
  });

  it("keeps an explicit depends_on as written", () => {
    const found = services(loadOrFail([{ path: FILE, content: file("    links: [db:x]\n    depends_on: {db: {condition: service_healthy}}") }]));
    expect(found.get("web")?.dependsOn).toEqual([{ service: "db", condition: "service_healthy", required: true }]);
  });

  it.each([
    ["an unknown service", "    links: [nope]", "", "", "services.web.links[0]", /service "nope" is not defined/],
    ["itself", "    links: [web:w]", "", "", "services.web.links[0]", /cannot link to itself/],
    ["no shared network", "    links: [db]\n    networks: [front]", "    networks: [back]", NETS, "services.web.links[0]", /share no network/],
    ["a malformed entry", '    links: ["db:a:b"]', "", "", "services.web.links[0]", /expected "service" or "service:alias"/],
    ["a cycle through links", "    links: [db]", "    links: [web]", "", "services.db.depends_on", /dependency cycle: db -> web -> db/],
  ])("refuses a link to %s", (_what, webBody, dbBody, top, path, message) => {
    const found = problems(file(webBody, dbBody, top));
    expect(
      found.find((p) => p.path === path && message.test(p.message)),
      summary(found).join("\n"),
    ).toBeDefined();
  });
});

describe("manifest: container_name", () => {
  it.each([
    ["more than one replica", "container_name: app\ndeploy: {replicas: 2}", /deploy.replicas is 2/],
    ["start-first", "container_name: app\ndeploy: {update_config: {order: start-first}}", /start-first.*use stop-first/],
    ["gitdock's mark of kept containers", "container_name: app.gitdock-prev", /reserved/],
    ["a name Docker refuses", 'container_name: "-app"', /expected a container name/],
  ])("refuses %s, at the key", (_what, body, message) => {
    const found = problems(webFile(body));
    const match = found.find((p) => p.path === "services.web.container_name" && message.test(p.message));
    expect(match, summary(found).join("\n")).toBeDefined();
    expect(match?.line).toBe(4);
  });

  it("refuses a name another service wants, in this file or another", () => {
    const a = `services:\n  web:\n    image: ${IMAGE}\n    container_name: shared\n  api:\n    image: ${IMAGE}\n    container_name: shared\n`;
    expect(summary(problems(a))).toEqual([
      expect.stringMatching(/^services.web.container_name: container name "shared" is also used by service "api"/),
      expect.stringMatching(/^services.api.container_name: container name "shared" is also used by service "web"/),
    ]);
    const generated = `name: shop\nservices:\n  web:\n    image: ${IMAGE}\n    deploy: {replicas: 2}\n  api:\n    image: ${IMAGE}\n    container_name: shop-web-2\n`;
    expect(summary(problems(generated))).toEqual([
      expect.stringMatching(/^services.web: container name "shop-web-2" is also used by service "api"/),
      expect.stringMatching(/^services.api.container_name: container name "shop-web-2" is also used by service "web"/),
    ]);
    const fine = generated.replace("shop-web-2", "shop-web-3");
    expect(load(fine)[0]?.services.map((s) => s.containerName)).toEqual(["shop-web-3", undefined]);
  });
});

describe("manifest: networks ipam and enable_ipv6", () => {
  const net = (body: string) => `services:\n  web:\n    image: ${IMAGE}\n    networks: [n]\nnetworks:\n  n:\n${body}\n`;

  it("normalizes ipam and enable_ipv6, and leaves them out when unused", () => {
    const body = [
      "    enable_ipv6: true",
      "    ipam:",
      "      driver: default",
      "      config:",
      "        - subnet: 172.28.0.0/16",
      "          ip_range: 172.28.5.0/24",
      "          gateway: 172.28.5.254",
      "          aux_addresses: {host2: 172.28.1.6, host1: 172.28.1.5}",
      "        - subnet: fd00:28::/64",
    ].join("\n");
    const network = load(net(body))[0]?.networks[0];
    expect(network).toMatchObject({
      key: "n",
      enableIpv6: true,
      ipam: {
        driver: undefined,
        pools: [
          { subnet: "172.28.0.0/16", ipRange: "172.28.5.0/24", gateway: "172.28.5.254", auxAddresses: { host1: "172.28.1.5", host2: "172.28.1.6" } },
          { subnet: "fd00:28::/64", ipRange: undefined, gateway: undefined, auxAddresses: {} },
        ],
        options: {},
      },
    });
    const plain = load(net("    enable_ipv6: false\n    ipam: {driver: default}"))[0]?.networks[0];
    expect(plain && Object.keys(plain)).not.toContain("ipam");
    expect(plain && Object.keys(plain)).not.toContain("enableIpv6");
  });

  it.each([
    ["a subnet that is not a CIDR", "    ipam: {config: [{subnet: 172.28.0.0}]}", "networks.n.ipam.config[0].subnet", /not a subnet in CIDR form/],
    [
      "a range outside its subnet",
      "    ipam: {config: [{subnet: 172.28.0.0/16, ip_range: 10.0.0.0/24}]}",
      "networks.n.ipam.config[0].ip_range",
      /not inside the subnet/,
    ],
    [
      "a gateway outside its subnet",
      "    ipam: {config: [{subnet: 172.28.0.0/16, gateway: 172.29.0.1}]}",
      "networks.n.ipam.config[0].gateway",
      /not inside the subnet/,
    ],
    [
      "an aux address that is not an address",
      "    ipam: {config: [{subnet: 172.28.0.0/16, aux_addresses: {a: nowhere}}]}",
      "networks.n.ipam.config[0].aux_addresses.a",
      /not an IP address/,
    ],
    ["a gateway without a subnet", "    ipam: {config: [{gateway: 172.28.0.1}]}", "networks.n.ipam.config[0]", /needs a subnet/],
    ["ipam on an external network", "    external: true\n    ipam: {config: [{subnet: 172.28.0.0/16}]}", "networks.n.ipam", /external/],
  ])("refuses %s", (_what, body, path, message) => {
    const found = problems(net(body));
    expect(
      found.find((p) => p.path === path && message.test(p.message)),
      summary(found).join("\n"),
    ).toBeDefined();
  });
});

/** [what, service body, path of the problem, message pattern] */
const refused: [string, string, string, RegExp][] = [
  ["expose that is not a port", 'expose: ["http"]', "services.web.expose[0]", /not a port/],
  ["expose with an unknown protocol", 'expose: ["80/icmp"]', "services.web.expose[0]", /not a port/],
  ["expose of a reversed range", 'expose: ["90-80"]', "services.web.expose[0]", /not a port/],
  ["shm_size that is not a size", "shm_size: lots", "services.web.shm_size", /expected a size/],
  ["sysctls list without a value", 'sysctls: ["net.core.somaxconn"]', "services.web.sysctls[0]", /expected "name=value"/],
  ["a seccomp profile file", 'security_opt: ["seccomp:./profile.json"]', "services.web.security_opt[0]", /read by the docker CLI/],
  ["platform that is not one", 'platform: "linux amd64"', "services.web.platform", /expected a platform like "linux\/amd64"/],
  ["pull_policy build", "pull_policy: build", "services.web.pull_policy", /does not build images/],
  ["pull_policy unknown", "pull_policy: sometimes", "services.web.pull_policy", /expected "always", "never"/],
  ["runtime empty", 'runtime: ""', "services.web.runtime", /must not be empty/],
  ["group_add negative", "group_add: [-1]", "services.web.group_add[0]", /at least 0/],
  ["external_links malformed", 'external_links: ["a:b:c"]', "services.web.external_links[0]", /expected "container" or "container:alias"/],
  [
    "mem_limit and limits.memory that differ",
    "mem_limit: 1g\ndeploy: {resources: {limits: {memory: 2g}}}",
    "services.web.mem_limit",
    /says 1073741824 but deploy.resources.limits.memory says 2147483648/,
  ],
  ["cpus and limits.cpus that differ", "cpus: 1\ndeploy: {resources: {limits: {cpus: 2}}}", "services.web.cpus", /write it once/],
  ["memswap_limit without a memory limit", "memswap_limit: 2g", "services.web.memswap_limit", /needs a memory limit/],
  ["memswap_limit below the memory limit", "mem_limit: 2g\nmemswap_limit: 1g", "services.web.memswap_limit", /cannot be less than the memory limit/],
  ["mem_reservation above the limit", "mem_limit: 1g\nmem_reservation: 2g", "services.web.mem_reservation", /cannot exceed the memory limit/],
  ["pids_limit below -1", "pids_limit: -2", "services.web.pids_limit", /at least -1/],
  ["cpu_shares negative", "cpu_shares: -1", "services.web.cpu_shares", /at least 0/],
  [
    "devices without capabilities",
    "deploy: {resources: {reservations: {devices: [{driver: nvidia}]}}}",
    "services.web.deploy.resources.reservations.devices[0].capabilities",
    /missing/,
  ],
  [
    "devices with empty capabilities",
    "deploy: {resources: {reservations: {devices: [{capabilities: []}]}}}",
    "services.web.deploy.resources.reservations.devices[0].capabilities",
    /at least one capability/,
  ],
  [
    "devices with count and device_ids",
    "deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: 1, device_ids: ['0']}]}}}",
    "services.web.deploy.resources.reservations.devices[0].count",
    /cannot be combined with device_ids/,
  ],
  [
    "restart_policy max_attempts with any",
    "deploy: {restart_policy: {condition: any, max_attempts: 3}}",
    "services.web.deploy.restart_policy.max_attempts",
    /only applies to condition: on-failure/,
  ],
  [
    "restart_policy that contradicts restart",
    "restart: unless-stopped\ndeploy: {restart_policy: {condition: on-failure}}",
    "services.web.deploy.restart_policy",
    /means restart: on-failure, but the service says restart: unless-stopped/,
  ],
  [
    "restart_policy unknown condition",
    "deploy: {restart_policy: {condition: always}}",
    "services.web.deploy.restart_policy.condition",
    /expected one of "none", "on-failure", "any"/,
  ],
  ["max_failure_ratio above 1", "deploy: {update_config: {max_failure_ratio: 1.5}}", "services.web.deploy.update_config.max_failure_ratio", /at most 1/],
  ["start_interval not a duration", "healthcheck: {start_interval: soon}", "services.web.healthcheck.start_interval", /expected a duration/],
  [":z and :Z together", 'volumes: ["/srv/a:/a:z,Z"]', "services.web.volumes[0]", /both "z" \(shared\) and "Z" \(private\)/],
  [":z on a named volume", 'volumes: ["data:/a:z"]', "services.web.volumes[0]", /applies to bind mounts/],
  [
    "bind.selinux with create_host_path: false",
    "volumes: [{type: bind, source: /srv/a, target: /a, bind: {selinux: Z, create_host_path: false}}]",
    "services.web.volumes[0].bind.selinux",
    /create_host_path: false/,
  ],
  [
    "bind.selinux with a comma in the path",
    "volumes: [{type: bind, source: '/srv/a,b', target: /a, bind: {selinux: z}}]",
    "services.web.volumes[0].bind.selinux",
    /cannot have ":" or ","/,
  ],
  [
    "dns with another container's network",
    "network_mode: container:vpn\ndns: [1.1.1.1]",
    "services.web.dns",
    /cannot be combined with network_mode: container:vpn/,
  ],
  ["expose with another container's network", "network_mode: container:vpn\nexpose: [80]", "services.web.expose", /cannot be combined with network_mode/],
  [
    "external_links with another container's network",
    "network_mode: container:vpn\nexternal_links: [db]",
    "services.web.external_links",
    /cannot be combined with network_mode/,
  ],
  [
    "bind.selinux unknown",
    "volumes: [{type: bind, source: /srv/a, target: /a, bind: {selinux: x}}]",
    "services.web.volumes[0].bind.selinux",
    /expected one of "z", "Z"/,
  ],
];

describe("manifest: refused forms of the Compose keys real stacks use", () => {
  it.each(refused)("%s", (_what, body, path, message) => {
    const top = body.includes("data:") ? "volumes:\n  data:" : "";
    const found = problems(webFile(body, top));
    const match = found.find((p) => p.path === path && message.test(p.message));
    expect(match, `problems were:\n${summary(found).join("\n")}`).toBeDefined();
    expect(match?.file).toBe(FILE);
    expect(match?.line).toBeGreaterThanOrEqual(4);
  });
});
