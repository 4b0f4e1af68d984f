/**
 * The request-level policy's rules, each way, on the bodies apply sends: volumes, networks, other
 * containers' namespaces, the user as runc reads it, the agent's own files, mount propagation and
 * binds nested in another container's read-write bind.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { guardedPaths, judgeEngineRequests, type EngineObjects, type EngineRequest, type HostPolicy } from "../../src/policy/index.js";
import { runsAsRoot } from "../../src/policy/runc-user.js";

const IMAGE = `127.0.0.1:5000/app@sha256:${"a".repeat(64)}`;
const at = (path: (string | number)[]) => ({ file: "hosts/h1/app/compose.yaml", project: "app", path });
const STACKS = new Map([
  [
    "app",
    {
      containers: new Set(["app-web-1", "app-db-1"]),
      networks: new Map([
        ["app_default", { external: false }],
        ["proxy", { external: true }],
        ["host", { external: true }],
      ]),
      volumes: new Map([
        ["app_data", { external: false }],
        ["shared", { external: true }],
      ]),
    },
  ],
]);
const GUARDED = guardedPaths(["/etc/gitdock/config.yaml", "/var/lib/gitdock", "/etc/gitdock/git-token"]);

function judge(requests: EngineRequest[], policy: Partial<HostPolicy> = {}, engine?: EngineObjects) {
  return judgeEngineRequests(requests, { policy: { ...DEFAULT_POLICY, ...policy }, guarded: GUARDED, stacks: STACKS, engine }).map(
    (v) => `${v.field}: ${v.message}`,
  );
}
const container = (hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}, name = "app-web-1"): EngineRequest => ({
  kind: "container-create",
  body: { name, Image: IMAGE, HostConfig: hostConfig, ...extra },
  origin: at(["services", name.split("-")[1] ?? "web"]),
});
const volume = (body: Record<string, unknown>): EngineRequest => ({
  kind: "volume-create",
  body: { Name: "app_data", Driver: "local", ...body },
  origin: at(["volumes", "data"]),
});
const network = (body: Record<string, unknown>): EngineRequest => ({
  kind: "network-create",
  body: { Name: "app_default", Driver: "bridge", ...body },
  origin: at(["networks", "default"]),
});
const bind = (Source: string, ReadOnly = false, more: Record<string, unknown> = {}) => ({ Type: "bind", Source, Target: "/data", ReadOnly, ...more });

describe("volumes: the local driver without options, a bind judged as one, tmpfs; anything else only when allowed", () => {
  it("allows a plain local volume, a bind under a root and a tmpfs", () => {
    expect(judge([volume({ DriverOpts: {} })])).toEqual([]);
    expect(judge([volume({ DriverOpts: { type: "none", o: "bind", device: "/srv/app/data" } })])).toEqual([]);
    expect(judge([volume({ DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=64m,uid=1000" } })])).toEqual([]);
  });

  it("refuses a host procfs, an overlay over /etc, a block device, a bind outside the roots and another driver", () => {
    expect(judge([volume({ DriverOpts: { type: "proc", device: "proc" } })])).toEqual([
      expect.stringMatching(/^DriverOpts.type: local volume type proc is not allowed/),
    ]);
    expect(judge([volume({ DriverOpts: { type: "overlay", device: "overlay", o: "lowerdir=/etc,upperdir=/srv/u,workdir=/srv/w" } })])).toEqual([
      expect.stringMatching(/^DriverOpts.type: local volume type overlay is not allowed/),
    ]);
    expect(judge([volume({ DriverOpts: { type: "ext4", device: "/dev/sda1" } })])).toEqual([expect.stringMatching(/type ext4 is not allowed/)]);
    expect(judge([volume({ DriverOpts: { type: "none", o: "bind", device: "/home" } })])).toEqual([
      expect.stringMatching(/^DriverOpts.device: bind mount source \/home is outside/),
    ]);
    expect(judge([volume({ DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m,exec" } })])).toEqual([
      expect.stringMatching(/tmpfs volume options exec/),
    ]);
    expect(judge([volume({ DriverOpts: { type: "none", o: "bind,uid=0", device: "/srv/x" } })])).toEqual([
      expect.stringMatching(/only bind, rbind, ro and rw/),
    ]);
    expect(judge([volume({ DriverOpts: { mountpoint: "/x" } })])).toEqual([expect.stringMatching(/local volume option mountpoint/)]);
    expect(judge([volume({ Driver: "rexray", DriverOpts: { size: "1" } })])).toEqual([expect.stringMatching(/^Driver: volume driver "rexray" is not allowed/)]);
  });

  it("allows a type or a driver the policy names", () => {
    expect(judge([volume({ DriverOpts: { type: "nfs", o: "addr=10.0.0.1", device: ":/export" } })], { volumeTypes: ["nfs"] })).toEqual([]);
    expect(judge([volume({ Driver: "rexray", DriverOpts: { size: "1" } })], { volumeDrivers: ["local", "rexray"] })).toEqual([]);
  });

  it("mounts only volumes of the stack: gitdock's own, or external ones the policy names", () => {
    const mount = (Source: string) => container({ Mounts: [{ Type: "volume", Source, Target: "/v" }] });
    const engine: EngineObjects = { containers: new Map(), networks: new Map(), volumes: new Map([["app_data", false]]) };
    expect(judge([mount("app_data")])).toEqual([]);
    expect(judge([mount("app_data")], {}, engine)).toEqual([expect.stringMatching(/volume app_data already exists and gitdock does not own it/)]);
    expect(judge([mount("other_db")])).toEqual([expect.stringMatching(/volume other_db is not a volume of this stack/)]);
    expect(judge([mount("shared")])).toEqual([expect.stringMatching(/external volume shared is not allowed.*external_volumes/)]);
    expect(judge([mount("shared")], { externalVolumes: ["shared"] })).toEqual([]);
    expect(judge([mount("")])).toEqual([]); // anonymous
    expect(
      judge([
        container({
          Mounts: [{ Type: "volume", Source: "app_data", Target: "/v", VolumeOptions: { DriverConfig: { Name: "local", Options: { type: "proc" } } } }],
        }),
      ]),
    ).toEqual([expect.stringMatching(/VolumeOptions.DriverConfig is set/)]);
  });
});

describe("networks: bridge only, the stack's own, never the Engine's by name", () => {
  it("allows the stack's bridge network and refuses another driver or unsafe options", () => {
    expect(judge([network({ Options: { "com.docker.network.driver.mtu": "1400" }, Internal: true })])).toEqual([]);
    expect(judge([network({ Driver: "macvlan" })])).toEqual([expect.stringMatching(/network driver "macvlan" is not allowed/)]);
    expect(judge([network({ Options: { "com.docker.network.bridge.name": "docker0" } })])).toEqual([
      expect.stringMatching(/bridge option com.docker.network.bridge.name/),
    ]);
    expect(judge([network({ Name: "host" })])).toEqual([expect.stringMatching(/shadow the Engine's own/)]);
  });

  it("refuses the Engine's host, none and bridge networks by name, even external and listed", () => {
    const join = (name: string) => container({ NetworkMode: name }, { NetworkingConfig: { EndpointsConfig: { [name]: {} } } });
    for (const name of ["host", "bridge", "none"]) {
      expect(judge([join(name)], { externalNetworks: [name], hostNetwork: true }).some((v) => v.includes(`the Engine's "${name}" network`))).toBe(true);
    }
    expect(judge([container({ NetworkMode: "none" })])).toEqual([]);
    expect(judge([container({ NetworkMode: "host" })])).toEqual([expect.stringMatching(/network_mode: host is not allowed/)]);
  });

  it("joins an external network only when the policy names it, and never a foreign one that is not declared external", () => {
    const join = (name: string) => container({ NetworkMode: name }, { NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: ["web"] } } } });
    expect(judge([join("proxy")])).toHaveLength(2);
    expect(judge([join("proxy")], { externalNetworks: ["proxy"] })).toEqual([]);
    const engine: EngineObjects = { containers: new Map(), networks: new Map([["app_default", false]]), volumes: new Map() };
    expect(judge([join("app_default")], {}, engine)[0]).toMatch(/network app_default already exists and gitdock does not own it/);
    expect(judge([join("elsewhere")])[0]).toMatch(/network elsewhere is not a network of this stack/);
  });
});

describe("other containers' namespaces", () => {
  const modes = (mode: string) => container({ NetworkMode: mode, PidMode: mode, IpcMode: mode });
  it("allows the same stack's containers (service:<name>) and refuses any other unless the policy names it", () => {
    expect(judge([modes("container:app-db-1")])).toEqual([]);
    expect(judge([modes("container:gitdock")])).toHaveLength(3);
    expect(judge([modes("container:gitdock")])[0]).toMatch(/joining the network namespace of container gitdock is not allowed.*shared_namespaces/);
    expect(judge([modes("container:vpn")], { sharedNamespaces: ["vpn"] })).toEqual([]);
  });

  it("refuses a same-stack name held by a container gitdock does not manage", () => {
    const engine: EngineObjects = { containers: new Map([["app-db-1", false]]), networks: new Map(), volumes: new Map() };
    expect(judge([container({ PidMode: "container:app-db-1" })], {}, engine)).toEqual([expect.stringMatching(/held by a container gitdock does not manage/)]);
  });
});

describe("the user, read the way runc reads it", () => {
  it.each(["root", "0", "+0", "-0", "000", "-0:-0", "0:1000", "root:root", ":1000", ":", "", "+000:0"])("%j is root", (user) => {
    expect(runsAsRoot(user)).toBe(true);
    expect(judge([container({}, { User: user })])).toEqual([expect.stringMatching(/runs as root \(uid 0\)/)]);
    expect(judge([container({}, { User: user })], { rootUser: true })).toEqual([]);
  });
  it.each(["1000", "+1000", "0100", "1000:0", "app", "rooty", "nobody:root", "-1"])("%j is not root", (user) => {
    expect(runsAsRoot(user)).toBe(false);
  });
});

describe("bind sources", () => {
  it("never the agent's own files or a directory that holds one, whatever the roots say", () => {
    const policy = { bindRoots: ["/"] };
    for (const source of [
      "/etc/gitdock",
      "/etc/gitdock/config.yaml",
      "/var/lib/gitdock",
      "/var/lib/gitdock/host.key",
      "/etc",
      "/",
      "/etc/gitdock/gitdock.env",
    ]) {
      expect(judge([container({ Mounts: [bind(source, true)] })], policy)).toEqual([expect.stringMatching(/would expose the agent's own/)]);
    }
    expect(judge([container({ Mounts: [bind("/var/lib/gitdock-data/x")] })])).toEqual([]);
  });

  it("secret roots only read-only; the Docker socket only when listed exactly", () => {
    expect(judge([container({ Mounts: [bind("/etc/gitdock/secrets/db", true)] })])).toEqual([]);
    expect(judge([container({ Mounts: [bind("/etc/gitdock/secrets/db", false)] })])).toEqual([expect.stringMatching(/outside the directories/)]);
    expect(judge([container({ Mounts: [bind("/var/run/docker.sock", true)] })], { bindRoots: ["/var"] })).toEqual([expect.stringMatching(/Docker socket/)]);
    expect(judge([container({ Mounts: [bind("/var/run/docker.sock", true)] })], { bindRoots: ["/var/run/docker.sock"] })).toEqual([]);
  });

  it("refuses propagation that crosses into the host, and bind options on other mounts", () => {
    expect(judge([container({ Mounts: [bind("/srv/x", false, { BindOptions: { Propagation: "rshared" } })] })])).toEqual([
      expect.stringMatching(/propagation "rshared"/),
    ]);
    expect(judge([container({ Mounts: [bind("/srv/x", false, { BindOptions: { Propagation: "rprivate" } })] })])).toEqual([]);
    expect(judge([container({ Mounts: [{ Type: "npipe", Source: "x", Target: "/x" }] })])).toEqual([expect.stringMatching(/mount type "npipe"/)]);
  });

  it("refuses a bind nested in another container's read-write bind (or a bind volume), either way round", () => {
    const writer = container({ Mounts: [bind("/srv/x")] }, {}, "app-db-1");
    const reader = container({ Mounts: [bind("/srv/x/root/etc", true)] });
    expect(judge([writer, reader])).toEqual([
      expect.stringMatching(/^HostConfig.Mounts\[0\].Source: bind source \/srv\/x\/root\/etc is inside \/srv\/x, which container app-db-1 mounts read-write/),
    ]);
    expect(judge([reader, writer])).toHaveLength(1);
    expect(judge([container({ Mounts: [bind("/srv/x", true)] }, {}, "app-db-1"), reader])).toEqual([]);
    expect(judge([container({ Mounts: [bind("/srv/x")] }, {}, "app-db-1"), container({ Mounts: [bind("/srv/x")] })])).toEqual([]);
    const bindVolume = volume({ DriverOpts: { type: "none", o: "bind", device: "/srv/x" } });
    expect(judge([bindVolume, reader])).toEqual([expect.stringMatching(/inside \/srv\/x, which volume app_data mounts read-write/)]);
  });
});

describe("the rest of HostConfig", () => {
  it("sysctls: the namespaced ones, never with the host's namespaces", () => {
    expect(judge([container({ Sysctls: { "net.ipv4.ip_forward": "1", "kernel.shmmax": "1" } })])).toEqual([]);
    expect(judge([container({ Sysctls: { "kernel.core_pattern": "|/x" } })])).toEqual([expect.stringMatching(/sysctl kernel.core_pattern is not allowed/)]);
    expect(judge([container({ NetworkMode: "host", Sysctls: { "net.ipv4.ip_forward": "1" } })], { hostNetwork: true })).toEqual([
      expect.stringMatching(/with the host's network would change the host/),
    ]);
  });

  it("security_opt, runtime, logging driver, OOM score, cgroup namespace", () => {
    expect(judge([container({ SecurityOpt: ["seccomp=unconfined"] })])).toEqual([expect.stringMatching(/security_opt "seccomp=unconfined"/)]);
    expect(judge([container({ SecurityOpt: ["apparmor=unconfined"] })], { securityOpt: ["apparmor=unconfined"] })).toEqual([]);
    expect(judge([container({ Runtime: "sysbox-runc" })])).toEqual([expect.stringMatching(/runtime "sysbox-runc"/)]);
    expect(judge([container({ LogConfig: { Type: "syslog", Config: { "syslog-address": "unix:///var/run/docker.sock" } } })])).toEqual([
      expect.stringMatching(/logging driver syslog/),
    ]);
    expect(judge([container({ OomScoreAdj: -1000 })])).toEqual([expect.stringMatching(/negative OOM score/)]);
    expect(judge([container({ CgroupnsMode: "host" })])).toEqual([expect.stringMatching(/cgroup namespace "host"/)]);
  });

  it("privileges, capabilities, devices, published ports", () => {
    expect(
      judge([
        container({ Privileged: true, CapAdd: ["SYS_ADMIN"], Devices: [{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rwm" }] }),
      ]),
    ).toHaveLength(3);
    expect(
      judge(
        [
          container({
            PortBindings: {
              "80/tcp": [
                { HostIp: "", HostPort: "80" },
                { HostIp: "", HostPort: "" },
              ],
            },
          }),
        ],
        { publishedPorts: ["8000-8999"] },
      ),
    ).toEqual([expect.stringMatching(/^HostConfig.PortBindings.80\/tcp\[0\]: host port 80 is outside/)]);
  });
});

describe("HostConfig.Binds, judged exactly like binds in Mounts", () => {
  const binds = (...entries: string[]) => container({ Binds: entries });

  it("allows a relabeled bind under a root, read-only under a secret root", () => {
    expect(judge([binds("/srv/x:/x:z", "/var/lib/gitdock-data/y:/y:ro,Z", "/srv/p:/p:rprivate")])).toEqual([]);
    expect(judge([binds("/etc/gitdock/secrets/db:/run/db:ro,z")])).toEqual([]);
  });

  it("refuses what a bind in Mounts may not have: sources outside the roots, the agent's files, the socket", () => {
    expect(judge([binds("/home/x:/x:z")])).toEqual([expect.stringMatching(/^HostConfig.Binds\[0\]: bind mount source \/home\/x is outside/)]);
    expect(judge([binds("/etc/gitdock/secrets/db:/run/db:z")])).toEqual([expect.stringMatching(/outside the directories/)]);
    expect(judge([binds("/var/lib/gitdock:/s:ro,z")], { bindRoots: ["/"] })).toEqual([expect.stringMatching(/would expose the agent's own/)]);
    expect(judge([binds("/var/run/docker.sock:/d.sock:z")], { bindRoots: ["/var"] })).toEqual([expect.stringMatching(/Docker socket/)]);
  });

  it("refuses named volumes, propagation into the host, unknown and repeated options, malformed entries", () => {
    expect(judge([binds("app_data:/x:z")])).toEqual([expect.stringMatching(/is not a host path; volumes must be sent as Mounts/)]);
    expect(judge([binds("/srv/x:/x:rshared")])).toEqual([expect.stringMatching(/propagation "rshared"/)]);
    expect(judge([binds("/srv/x:/x:z,nocopy")])).toEqual([expect.stringMatching(/bind option "nocopy" is not one the host policy knows/)]);
    expect(judge([binds("/srv/x:/x:z,Z")])).toEqual([expect.stringMatching(/give the SELinux label twice/)]);
    expect(judge([binds("/srv/x:x:z")])).toEqual([expect.stringMatching(/bind target "x" is not an absolute path/)]);
    expect(judge([binds("/srv/x")])).toEqual([expect.stringMatching(/expected "source:target\[:options\]"/)]);
    expect(judge([container({ Binds: [{ Source: "/srv/x" }] })])).toEqual([expect.stringMatching(/expected "source:target/)]);
  });

  it("refuses a bind nested in another container's read-write bind, whichever form each uses", () => {
    const writer = container({ Binds: ["/srv/x:/x:z"] }, {}, "app-db-1");
    const reader = container({ Mounts: [bind("/srv/x/etc", true)] });
    expect(judge([writer, reader])).toEqual([
      expect.stringMatching(/^HostConfig.Mounts\[0\].Source: bind source \/srv\/x\/etc is inside \/srv\/x, which container app-db-1 mounts read-write/),
    ]);
    const relabeledReader = container({ Binds: ["/srv/x/etc:/e:ro,z"] });
    expect(judge([container({ Mounts: [bind("/srv/x")] }, {}, "app-db-1"), relabeledReader])).toEqual([
      expect.stringMatching(/^HostConfig.Binds\[0\]: bind source \/srv\/x\/etc is inside \/srv\/x/),
    ]);
    expect(judge([container({ Binds: ["/srv/x:/x:ro,z"] }, {}, "app-db-1"), relabeledReader])).toEqual([]);
  });
});

describe("device requests, links to containers outside the stack, network addresses", () => {
  const gpu = [{ Driver: "nvidia", Count: -1, DeviceIDs: [], Capabilities: [["gpu"]], Options: {} }];

  it("device requests only with device_requests: true", () => {
    expect(judge([container({ DeviceRequests: gpu })])).toEqual([
      expect.stringMatching(/^HostConfig.DeviceRequests: device requests .* not allowed .* device_requests: true/),
    ]);
    expect(judge([container({ DeviceRequests: gpu })], { deviceRequests: true })).toEqual([]);
    expect(judge([container({ DeviceRequests: [] })])).toEqual([]);
  });

  it("an endpoint link names a container of the stack or one in external_links, at create and at connect", () => {
    const linked = (links: string[]) =>
      container({ NetworkMode: "app_default" }, { NetworkingConfig: { EndpointsConfig: { app_default: { Aliases: ["web"], Links: links } } } });
    expect(judge([linked(["app-db-1:db"])])).toEqual([]);
    expect(judge([linked(["gitdock:agent"])])).toEqual([
      expect.stringMatching(/EndpointsConfig.app_default.Links\[0\]: a link to container gitdock is not allowed .* list it in external_links/),
    ]);
    expect(judge([linked(["proxy:edge"])], { externalLinks: ["proxy"] })).toEqual([]);
    const connect: EngineRequest = {
      kind: "network-connect",
      network: "app_default",
      container: "app-web-1",
      body: { Container: "app-web-1", EndpointConfig: { Links: ["vpn:vpn"] } },
      origin: at(["services", "web"]),
    };
    expect(judge([connect])).toEqual([expect.stringMatching(/^EndpointConfig.Links\[0\]: a link to container vpn/)]);
  });

  it("IPAM: the default driver or an allowed one; every address inside network_subnets", () => {
    const ipam = (IPAM: Record<string, unknown>) => network({ IPAM });
    const pool = { Subnet: "172.28.0.0/16", IPRange: "172.28.5.0/24", Gateway: "172.28.5.254", AuxiliaryAddresses: { a: "172.28.1.5" } };
    expect(judge([ipam({ Driver: "default", Config: [pool, { Subnet: "fd00:1::/64" }], Options: {} })])).toEqual([]);
    expect(judge([ipam({ Driver: "default", Config: [{ Subnet: "8.8.8.0/24", Gateway: "8.8.8.1", AuxiliaryAddresses: { dns: "8.8.8.8" } }] })])).toEqual([
      expect.stringMatching(/^IPAM.Config\[0\].Subnet: 8.8.8.0\/24 is outside the address space/),
      expect.stringMatching(/^IPAM.Config\[0\].Gateway: 8.8.8.1 is outside/),
      expect.stringMatching(/^IPAM.Config\[0\].AuxiliaryAddresses.dns: 8.8.8.8 is outside/),
    ]);
    expect(judge([ipam({ Config: [{ Subnet: "172.0.0.0/8" }] })])).toEqual([expect.stringMatching(/172.0.0.0\/8 is outside/)]);
    expect(judge([ipam({ Config: [{ Subnet: "8.8.8.0/24" }] })], { networkSubnets: ["8.8.8.0/24"] })).toEqual([]);
    expect(judge([ipam({ Driver: "infoblox", Options: { x: "y" } })])).toEqual([
      expect.stringMatching(/IPAM driver "infoblox" is not allowed .* ipam_drivers/),
    ]);
    expect(judge([ipam({ Driver: "infoblox", Options: { x: "y" } })], { ipamDrivers: ["infoblox"] })).toEqual([]);
    expect(judge([ipam({ Driver: "default", Options: { x: "y" } })])).toEqual([expect.stringMatching(/^IPAM.Options: IPAM.Options is set/)]);
    expect(judge([network({ EnableIPv6: true })])).toEqual([]);
  });
});
