/**
 * The request-level policy's tables against the Engine API gitdock speaks (1.41): every field the
 * API documents for a container create is known to the policy, and one the policy does not know is
 * refused, so a new Engine feature cannot slip through silently. Field lists copied from
 * moby's docs/api/v1.41.yaml (definitions Resources, HostConfig, ContainerConfig, EndpointSettings, Mount).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { guardedPaths, judgeEngineRequests, type EngineRequest } from "../../src/policy/index.js";
import { CONTAINER_CONFIG_FIELDS, ENDPOINT_FIELDS, hostConfigFields } from "../../src/policy/requests/container-fields.js";

const API_1_41_RESOURCES = [
  "CpuShares",
  "Memory",
  "CgroupParent",
  "BlkioWeight",
  "BlkioWeightDevice",
  "BlkioDeviceReadBps",
  "BlkioDeviceWriteBps",
  "BlkioDeviceReadIOps",
  "BlkioDeviceWriteIOps",
  "CpuPeriod",
  "CpuQuota",
  "CpuRealtimePeriod",
  "CpuRealtimeRuntime",
  "CpusetCpus",
  "CpusetMems",
  "Devices",
  "DeviceCgroupRules",
  "DeviceRequests",
  "KernelMemory",
  "KernelMemoryTCP",
  "MemoryReservation",
  "MemorySwap",
  "MemorySwappiness",
  "NanoCpus",
  "OomKillDisable",
  "Init",
  "PidsLimit",
  "Ulimits",
  "CpuCount",
  "CpuPercent",
  "IOMaximumIOps",
  "IOMaximumBandwidth",
];
const API_1_41_HOST_CONFIG = [
  ...API_1_41_RESOURCES,
  "Binds",
  "ContainerIDFile",
  "LogConfig",
  "NetworkMode",
  "PortBindings",
  "RestartPolicy",
  "AutoRemove",
  "VolumeDriver",
  "VolumesFrom",
  "Mounts",
  "CapAdd",
  "CapDrop",
  "CgroupnsMode",
  "Dns",
  "DnsOptions",
  "DnsSearch",
  "ExtraHosts",
  "GroupAdd",
  "IpcMode",
  "Cgroup",
  "Links",
  "OomScoreAdj",
  "PidMode",
  "Privileged",
  "PublishAllPorts",
  "ReadonlyRootfs",
  "SecurityOpt",
  "StorageOpt",
  "Tmpfs",
  "UTSMode",
  "UsernsMode",
  "ShmSize",
  "Sysctls",
  "Runtime",
  "ConsoleSize",
  "Isolation",
  "MaskedPaths",
  "ReadonlyPaths",
];
const API_1_41_CONTAINER_CONFIG = [
  "Hostname",
  "Domainname",
  "User",
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "ExposedPorts",
  "Tty",
  "OpenStdin",
  "StdinOnce",
  "Env",
  "Cmd",
  "Healthcheck",
  "ArgsEscaped",
  "Image",
  "Volumes",
  "WorkingDir",
  "Entrypoint",
  "NetworkDisabled",
  "MacAddress",
  "OnBuild",
  "Labels",
  "StopSignal",
  "StopTimeout",
  "Shell",
];
const API_1_41_ENDPOINT_SETTINGS = [
  "IPAMConfig",
  "Links",
  "Aliases",
  "NetworkID",
  "EndpointID",
  "Gateway",
  "IPAddress",
  "IPPrefixLen",
  "IPv6Gateway",
  "GlobalIPv6Address",
  "GlobalIPv6PrefixLen",
  "MacAddress",
  "DriverOpts",
];

const IMAGE = `127.0.0.1:5000/app@sha256:${"a".repeat(64)}`;
const origin = { file: "hosts/h1/app/compose.yaml", project: "app", path: ["services", "web"] };

function judge(body: Record<string, unknown>, policy = DEFAULT_POLICY) {
  const request: EngineRequest = { kind: "container-create", body: { name: "app-web-1", Image: IMAGE, ...body }, origin };
  const stacks = new Map([["app", { containers: new Set(["app-web-1"]), networks: new Map([["app_default", { external: false }]]), volumes: new Map() }]]);
  return judgeEngineRequests([request], { policy, guarded: guardedPaths([]), stacks });
}

const hostConfigTable = hostConfigFields({});

describe("the policy's tables cover the Engine API 1.41", () => {
  it("knows every HostConfig field the API documents, and no other", () => {
    expect(Object.keys(hostConfigTable).sort()).toEqual([...API_1_41_HOST_CONFIG].sort());
  });

  it("knows every container config field, plus the query's name and platform, HostConfig and NetworkingConfig", () => {
    expect(Object.keys(CONTAINER_CONFIG_FIELDS).sort()).toEqual([...API_1_41_CONTAINER_CONFIG, "name", "platform", "HostConfig", "NetworkingConfig"].sort());
    expect(Object.keys(ENDPOINT_FIELDS).sort()).toEqual([...API_1_41_ENDPOINT_SETTINGS].sort());
  });

  const defaults = Object.entries(hostConfigTable)
    .filter(([, rule]) => rule === "default")
    .map(([field]) => field);
  it.each(defaults)("refuses HostConfig.%s unless it is at the Engine's default", (field) => {
    expect(judge({ HostConfig: { [field]: null } })).toEqual([]);
    for (const value of [1, "x", ["x"], { x: "y" }, true]) {
      const found = judge({ HostConfig: { [field]: value } });
      expect(found.map((v) => v.field)).toEqual([`HostConfig.${field}`]);
      expect(found[0]?.message).toMatch(/only the Engine's default/);
    }
  });

  it("refuses MaskedPaths and ReadonlyPaths even empty: an empty list unmasks /proc", () => {
    for (const field of ["MaskedPaths", "ReadonlyPaths"]) {
      expect(judge({ HostConfig: { [field]: [] } }).map((v) => v.field)).toEqual([`HostConfig.${field}`]);
      expect(judge({ HostConfig: { [field]: null } })).toEqual([]);
    }
  });

  it("refuses a field the policy does not know, naming it (a newer API's HostConfig.Annotations, a made-up top-level key)", () => {
    expect(judge({ HostConfig: { Annotations: { "io.kubernetes.cri": "x" } } }).map((v) => v.field)).toEqual(["HostConfig.Annotations"]);
    expect(judge({ Futuristic: 1 }).map((v) => v.message)).toEqual([
      expect.stringMatching(/^Futuristic is set \(1\), and the host policy does not know this field/),
    ]);
    expect(judge({ HostConfig: { Annotations: {} } })).toEqual([]);
  });

  it("lets the limits and the container's own settings through", () => {
    const body = {
      Hostname: "web",
      User: "1000:1000",
      Env: ["A=b"],
      Cmd: ["sh"],
      Labels: { a: "b" },
      Healthcheck: { Test: ["NONE"] },
      StopTimeout: 3,
      HostConfig: {
        Memory: 1 << 20,
        NanoCpus: 5e8,
        PidsLimit: 100,
        Ulimits: [{ Name: "nofile", Soft: 1, Hard: 2 }],
        CapDrop: ["ALL"],
        ReadonlyRootfs: true,
        Init: true,
        Tmpfs: { "/run": "size=1m" },
        ShmSize: 1 << 20,
        OomScoreAdj: 500,
        RestartPolicy: { Name: "always" },
        Dns: ["1.1.1.1"],
        ExtraHosts: ["a:1.2.3.4"],
        GroupAdd: ["audio"],
        LogConfig: { Type: "json-file", Config: { "max-size": "1m" } },
        CgroupnsMode: "private",
        SecurityOpt: ["no-new-privileges:true"],
        Sysctls: { "net.core.somaxconn": "1024" },
        Runtime: "runc",
        NetworkMode: "app_default",
      },
    };
    expect(judge(body)).toEqual([]);
  });

  it("judges the endpoint settings of each network", () => {
    const net = (endpoint: Record<string, unknown>) => judge({ NetworkingConfig: { EndpointsConfig: { app_default: endpoint } } });
    expect(net({ Aliases: ["web"], IPAMConfig: { IPv4Address: "10.0.0.2" } })).toEqual([]);
    expect(net({ MacAddress: "02:42:ac:11:00:02" }).map((v) => v.field)).toEqual(["NetworkingConfig.EndpointsConfig.app_default.MacAddress"]);
    expect(net({ DriverOpts: { x: "y" } }).map((v) => v.field)).toEqual(["NetworkingConfig.EndpointsConfig.app_default.DriverOpts"]);
  });
});
