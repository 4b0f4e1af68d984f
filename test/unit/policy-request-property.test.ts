/**
 * Property: whatever container create request the default policy lets through has no privilege
 * beyond a plain unprivileged container. Requests are generated from the fields of the Engine API
 * with benign and dangerous values alike; the oracle below says what "privileged" means without
 * using the policy's code.
 */
import fc from "fast-check";
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { guardedPaths, judgeEngineRequests, type EngineRequest } from "../../src/policy/index.js";
import { runs } from "./helpers/fuzz-runs.js";

const IMAGE = `127.0.0.1:5000/app@sha256:${"a".repeat(64)}`;
const SAFE_ROOTS = ["/srv", "/var/lib/gitdock-data"];
const NAMESPACED_SYSCTL = /^(net\.|kernel\.shm|kernel\.msg|kernel\.sem$|fs\.mqueue\.)/;
/** What a plain container may carry: anything else present (and not empty) is a privilege or unknown. */
const PLAIN_FIELDS = new Set([
  "name",
  "Image",
  "Hostname",
  "Domainname",
  "Env",
  "Cmd",
  "Entrypoint",
  "WorkingDir",
  "Labels",
  "StopSignal",
  "StopTimeout",
  "Healthcheck",
  "ExposedPorts",
  "Tty",
  "OpenStdin",
  "StdinOnce",
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "Volumes",
  "NetworkDisabled",
  "User",
  "HostConfig",
  "NetworkingConfig",
]);
const PLAIN_HOST_FIELDS = new Set([
  "Memory",
  "NanoCpus",
  "CpuShares",
  "PidsLimit",
  "Ulimits",
  "CapDrop",
  "ReadonlyRootfs",
  "Init",
  "Tmpfs",
  "ShmSize",
  "RestartPolicy",
  "Dns",
  "DnsOptions",
  "DnsSearch",
  "ExtraHosts",
  "GroupAdd",
  "PortBindings",
  "PublishAllPorts",
  "BlkioWeight",
  "CpuPeriod",
  "CpuQuota",
  "CpusetCpus",
  "CpusetMems",
  "MemoryReservation",
  "MemorySwap",
  "MemorySwappiness",
  "Mounts",
  "NetworkMode",
  "PidMode",
  "IpcMode",
  "CgroupnsMode",
  "OomScoreAdj",
  "SecurityOpt",
  "Sysctls",
  "Runtime",
  "LogConfig",
  "Binds",
]);

function under(p: string, roots: string[]): boolean {
  const n = posix.normalize(p).replace(/(.)\/+$/, "$1");
  return roots.some((r) => n === r || n.startsWith(`${r}/`));
}

const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === false ||
  v === 0 ||
  v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && Object.keys(v).length === 0);

/** Why this body gives more than a plain unprivileged container; empty when it does not. */
function privileges(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(body)) if (!PLAIN_FIELDS.has(k) && !empty(v)) out.push(`field ${k}`);
  const user = typeof body["User"] === "string" ? (body["User"].split(":")[0] ?? "") : undefined;
  if (user !== undefined && (user === "" || user === "root" || /^[+-]?0+$/.test(user))) out.push("root");
  const hc = (body["HostConfig"] ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(hc)) {
    if (k === "MaskedPaths" || k === "ReadonlyPaths") {
      if (v !== undefined && v !== null) out.push(`host ${k}`);
    } else if (!PLAIN_HOST_FIELDS.has(k) && !empty(v)) out.push(`host ${k}`);
  }
  for (const key of ["NetworkMode", "PidMode", "IpcMode"]) {
    const mode = String(hc[key] ?? "");
    if (mode === "host" || mode === "bridge" || (mode.startsWith("container:") && mode !== "container:app-db-1")) out.push(`${key} ${mode}`);
  }
  if (hc["CgroupnsMode"] !== undefined && hc["CgroupnsMode"] !== "private") out.push("cgroupns");
  if (typeof hc["OomScoreAdj"] === "number" && hc["OomScoreAdj"] < 0) out.push("oom");
  for (const opt of (hc["SecurityOpt"] as string[] | undefined) ?? []) if (!/^no-new-privileges(?:[:=]true)?$/.test(opt)) out.push(`secopt ${opt}`);
  for (const name of Object.keys((hc["Sysctls"] as object | undefined) ?? {})) if (!NAMESPACED_SYSCTL.test(name)) out.push(`sysctl ${name}`);
  if (hc["Runtime"] !== undefined && hc["Runtime"] !== "runc" && hc["Runtime"] !== "") out.push("runtime");
  const log = (hc["LogConfig"] ?? {}) as { Type?: string };
  if (log.Type !== undefined && !["json-file", "local", "journald", "none", ""].includes(log.Type)) out.push("log driver");
  for (const m of (hc["Mounts"] as Record<string, unknown>[] | undefined) ?? []) {
    if (m["Type"] === "bind" && !under(String(m["Source"]), SAFE_ROOTS)) out.push(`bind ${String(m["Source"])}`);
    if (m["Type"] !== "bind" && m["Type"] !== "volume" && m["Type"] !== "tmpfs") out.push(`mount ${String(m["Type"])}`);
    if (m["Type"] === "volume" && m["Source"] !== "app_data" && m["Source"] !== "") out.push(`volume ${String(m["Source"])}`);
    const prop = (m["BindOptions"] as { Propagation?: string } | undefined)?.Propagation;
    if (prop === "shared" || prop === "rshared") out.push("propagation");
    if ((m["VolumeOptions"] as { DriverConfig?: unknown } | undefined)?.DriverConfig !== undefined) out.push("volume driver config");
  }
  for (const entry of (hc["Binds"] as string[] | undefined) ?? []) {
    const [source = "", , options = ""] = entry.split(":");
    if (!source.startsWith("/") || !under(source, SAFE_ROOTS)) out.push(`bind ${source}`);
    if (options.split(",").some((o) => o === "shared" || o === "rshared")) out.push("propagation");
  }
  const endpoints = ((body["NetworkingConfig"] as { EndpointsConfig?: Record<string, unknown> } | undefined)?.EndpointsConfig ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  for (const [name, e] of Object.entries(endpoints)) {
    if (name !== "app_default") out.push(`network ${name}`);
    for (const [k, v] of Object.entries(e ?? {})) if (!["Aliases", "IPAMConfig", "Links"].includes(k) && !empty(v)) out.push(`endpoint ${k}`);
    for (const link of (e?.["Links"] as string[] | undefined) ?? []) if (!link.startsWith("app-db-1:")) out.push(`link ${link}`);
  }
  if (!["", "none", "app_default", "container:app-db-1"].includes(String(hc["NetworkMode"] ?? ""))) out.push("network mode");
  return out;
}

const path = fc.constantFrom("/srv/app", "/srv/../etc", "/var/lib/gitdock-data/x", "/", "/etc", "/var/run/docker.sock", "/proc", "/srvx", "/srv/x/../../root");
const mount = fc.oneof(
  fc.record({ Type: fc.constant("bind"), Source: path, Target: fc.constant("/m"), ReadOnly: fc.boolean() }, { requiredKeys: ["Type", "Source", "Target"] }),
  fc.record({
    Type: fc.constant("bind"),
    Source: path,
    Target: fc.constant("/m"),
    BindOptions: fc.record({ Propagation: fc.constantFrom("rprivate", "rshared", "shared", "rslave") }),
  }),
  fc.record({ Type: fc.constant("volume"), Source: fc.constantFrom("app_data", "other_db", ""), Target: fc.constant("/v") }),
  fc.record({
    Type: fc.constant("volume"),
    Source: fc.constant("app_data"),
    Target: fc.constant("/v"),
    VolumeOptions: fc.record({ DriverConfig: fc.constant({ Name: "local", Options: { type: "proc" } }) }),
  }),
  fc.record({ Type: fc.constantFrom("tmpfs", "npipe"), Target: fc.constant("/t") }),
);
const anyValue = fc.oneof(fc.constant(true), fc.constant(1), fc.constant("x"), fc.constant(["x"]), fc.constant({ x: "y" }), fc.constant([]), fc.constant(null));
const mode = fc.constantFrom("", "host", "none", "bridge", "app_default", "container:app-db-1", "container:gitdock", "private", "shareable");

const hostConfig = fc.record(
  {
    Privileged: fc.boolean(),
    CapAdd: fc.subarray(["NET_ADMIN", "SYS_ADMIN", "chown"]),
    CapDrop: fc.subarray(["ALL"]),
    Devices: fc.subarray([{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rwm" }]),
    NetworkMode: mode,
    PidMode: mode,
    IpcMode: mode,
    UTSMode: fc.constantFrom("", "host"),
    UsernsMode: fc.constantFrom("", "host"),
    CgroupnsMode: fc.constantFrom("private", "host"),
    Mounts: fc.array(mount, { maxLength: 3 }),
    SecurityOpt: fc.subarray(["no-new-privileges", "no-new-privileges:true", "seccomp=unconfined", "apparmor=unconfined", "label=disable"]),
    Sysctls: fc.dictionary(fc.constantFrom("net.ipv4.ip_forward", "kernel.core_pattern", "kernel.shmmax", "vm.overcommit_memory"), fc.constant("1")),
    OomScoreAdj: fc.integer({ min: -1000, max: 1000 }),
    Runtime: fc.constantFrom("runc", "sysbox-runc", ""),
    LogConfig: fc.record({ Type: fc.constantFrom("json-file", "syslog", "none", "gelf") }),
    CgroupParent: fc.constantFrom("", "/system.slice"),
    MaskedPaths: fc.constantFrom(undefined, [], ["/proc/kcore"]),
    DeviceCgroupRules: fc.subarray(["c *:* rwm"]),
    DeviceRequests: fc.subarray([{ Driver: "nvidia", Count: -1 }]),
    VolumesFrom: fc.subarray(["gitdock:rw"]),
    Binds: fc.subarray(["/:/host", "/srv/app:/b:z", "/etc:/e:ro,Z", "app_data:/v:z", "/srv/app:/s:rshared", "/srv/app/r:/r:ro,rslave"]),
    ContainerIDFile: fc.constantFrom("", "/etc/cron.d/x"),
    OomKillDisable: fc.boolean(),
    Annotations: fc.constantFrom(undefined, { a: "b" }),
    Memory: fc.integer({ min: 0, max: 1 << 30 }),
    ReadonlyRootfs: fc.boolean(),
    Tmpfs: fc.constantFrom({}, { "/run": "size=1m,exec" }),
  },
  { requiredKeys: [] },
);

/** A plain container's settings... */
const safeHostConfig = fc.record({
  CapDrop: fc.subarray(["ALL"]),
  NetworkMode: fc.constantFrom("", "none", "app_default", "container:app-db-1"),
  Mounts: fc.array(
    fc.record({ Type: fc.constant("bind"), Source: fc.constantFrom("/srv/app", "/var/lib/gitdock-data/x"), Target: fc.constant("/m"), ReadOnly: fc.boolean() }),
    { maxLength: 1 },
  ),
  Memory: fc.integer({ min: 0, max: 1 << 30 }),
  ReadonlyRootfs: fc.boolean(),
});

/** ...with none, one or a few fields drawn from anything the API takes. */
const hostConfigs = fc.tuple(safeHostConfig, fc.oneof({ weight: 1, arbitrary: fc.constant({}) }, { weight: 3, arbitrary: hostConfig })).map(([safe, risky]) => {
  const keys = Object.keys(risky).slice(0, 2);
  return { ...safe, ...Object.fromEntries(keys.map((k) => [k, (risky as Record<string, unknown>)[k]])) };
});

const body = fc
  .tuple(
    hostConfigs,
    fc.record(
      {
        User: fc.constantFrom("1000", "root", "0", "+0", "-0:-0", ":1000", "app", "1000:0"),
        NetworkingConfig: fc.record({
          EndpointsConfig: fc.dictionary(
            fc.constantFrom("app_default", "host", "bridge", "proxy"),
            fc.record(
              { Aliases: fc.constant(["web"]), MacAddress: fc.constantFrom("", "02:42:ac:11:00:02"), Links: fc.subarray(["app-db-1:db", "gitdock:agent"]) },
              { requiredKeys: [] },
            ),
          ),
        }),
        MacAddress: fc.constantFrom("", "02:42:ac:11:00:02"),
        Unknown: anyValue,
      },
      { requiredKeys: [] },
    ),
    fc.integer({ min: 0, max: 2 }),
  )
  .map(([HostConfig, top, n]) => ({ Env: ["A=b"], HostConfig, ...Object.fromEntries(Object.entries(top).slice(0, n)) }));

const STACKS = new Map([
  [
    "app",
    {
      containers: new Set(["app-web-1", "app-db-1"]),
      networks: new Map([
        ["app_default", { external: false }],
        ["proxy", { external: true }],
      ]),
      volumes: new Map([["app_data", { external: false }]]),
    },
  ],
]);

describe("property: what the default policy lets through is a plain unprivileged container", () => {
  it("never allows a request that the oracle finds privileged", () => {
    let allowed = 0;
    let refused = 0;
    fc.assert(
      fc.property(body, (generated) => {
        const request: EngineRequest = {
          kind: "container-create",
          body: { name: "app-web-1", Image: IMAGE, ...generated },
          origin: { file: "hosts/h1/app/compose.yaml", project: "app", path: ["services", "web"] },
        };
        const violations = judgeEngineRequests([request], { policy: DEFAULT_POLICY, guarded: guardedPaths([]), stacks: STACKS });
        if (violations.length === 0) {
          allowed++;
          expect(privileges(request.body)).toEqual([]);
        } else refused++;
      }),
      { numRuns: runs(5000) },
    );
    // The generator must reach both sides, or the property says nothing.
    expect(allowed).toBeGreaterThan(runs(5000) / 100);
    expect(refused).toBeGreaterThan(runs(5000) / 2);
  });
});
