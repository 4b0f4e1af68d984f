/**
 * Property: whatever Swarm service spec the default policy (with narrowed ports) lets through gives
 * its tasks nothing beyond a plain unprivileged container of its own stack. Specs are generated
 * from the fields of the Engine API with benign and dangerous values alike; the oracle says what
 * "more" means without using the policy's code.
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
const POLICY = { ...DEFAULT_POLICY, publishedPorts: ["8000-8999"] };
const AGENT = "agent-1";

const PLAIN_CONTAINER_FIELDS = new Set([
  "Image",
  "Labels",
  "Command",
  "Args",
  "Hostname",
  "Env",
  "Dir",
  "User",
  "Groups",
  "TTY",
  "OpenStdin",
  "ReadOnly",
  "Mounts",
  "StopSignal",
  "StopGracePeriod",
  "HealthCheck",
  "Hosts",
  "DNSConfig",
  "Secrets",
  "Configs",
  "Init",
  "Sysctls",
  "CapabilityDrop",
  "Ulimits",
]);
const PLAIN_TASK_FIELDS = new Set(["ContainerSpec", "Resources", "RestartPolicy", "Placement", "ForceUpdate", "Networks", "LogDriver"]);
const IDENTITY: Record<string, string> = {
  "com.docker.stack.namespace": "app",
  "com.docker.compose.project": "app",
  "gitdock.managed": "true",
  "gitdock.agent": AGENT,
};

const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === false ||
  v === 0 ||
  v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && Object.keys(v).length === 0);

function under(p: string, roots: string[]): boolean {
  const n = posix.normalize(p).replace(/(.)\/+$/, "$1");
  return roots.some((r) => n === r || n.startsWith(`${r}/`));
}

function labelsForged(labels: unknown): string[] {
  return Object.entries((labels ?? {}) as Record<string, unknown>)
    .filter(([k, v]) => /^(gitdock\.|com\.docker\.(compose|stack)\.)/.test(k) && IDENTITY[k] !== v)
    .map(([k]) => `label ${k}`);
}

/** Why this service gives more than a plain unprivileged container of stack `app`; empty when it does not. */
function privileges(body: Record<string, unknown>): string[] {
  const out: string[] = [...labelsForged(body["Labels"])];
  if (!String(body["Name"]).startsWith("app_")) out.push("name");
  const task = (body["TaskTemplate"] ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(task)) if (!PLAIN_TASK_FIELDS.has(k) && !(k === "Runtime" && (v === "" || v === "container"))) out.push(`task ${k}`);
  const spec = (task["ContainerSpec"] ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(spec))
    if (!PLAIN_CONTAINER_FIELDS.has(k) && !empty(v) && !(k === "Isolation" && v === "default")) out.push(`container ${k}`);
  out.push(...labelsForged(spec["Labels"]));
  const user = typeof spec["User"] === "string" ? (spec["User"].split(":")[0] ?? "") : undefined;
  if (user !== undefined && (user === "" || user === "root" || /^[+-]?0+$/.test(user))) out.push("root");
  for (const m of (spec["Mounts"] as Record<string, unknown>[] | undefined) ?? []) {
    if (m["Type"] === "bind" && !under(String(m["Source"]), SAFE_ROOTS)) out.push(`bind ${String(m["Source"])}`);
    if (!["bind", "volume", "tmpfs"].includes(String(m["Type"]))) out.push(`mount ${String(m["Type"])}`);
    if (m["Type"] === "volume" && !["app_data", ""].includes(String(m["Source"] ?? ""))) out.push(`volume ${String(m["Source"])}`);
    const driver = (m["VolumeOptions"] as { DriverConfig?: { Options?: object } } | undefined)?.DriverConfig;
    if (driver && !empty(driver.Options)) out.push("volume driver options");
  }
  for (const s of (spec["Secrets"] as { SecretName?: string }[] | undefined) ?? []) if (s.SecretName !== "app_s1") out.push(`secret ${s.SecretName}`);
  for (const c of (spec["Configs"] as Record<string, unknown>[] | undefined) ?? []) {
    if (c["ConfigName"] !== "app_c1" || c["Runtime"] !== undefined) out.push(`config ${String(c["ConfigName"])}`);
  }
  for (const name of Object.keys((spec["Sysctls"] as object | undefined) ?? {})) if (!NAMESPACED_SYSCTL.test(name)) out.push(`sysctl ${name}`);
  const networks = [...((task["Networks"] as { Target?: string }[] | undefined) ?? []), ...((body["Networks"] as { Target?: string }[] | undefined) ?? [])];
  for (const n of networks) if (n.Target !== "app_default") out.push(`network ${n.Target}`);
  const log = (task["LogDriver"] ?? {}) as { Name?: string };
  if (log.Name !== undefined && !["json-file", "local", "journald", "none", ""].includes(log.Name)) out.push("log driver");
  const generic = ((task["Resources"] as { Reservations?: { GenericResources?: unknown[] } } | undefined)?.Reservations?.GenericResources ?? []).length;
  if (generic > 0) out.push("generic resources");
  const mode = (body["Mode"] ?? {}) as Record<string, unknown>;
  if ("ReplicatedJob" in mode || "GlobalJob" in mode) out.push("job");
  const ports = ((body["EndpointSpec"] as { Ports?: { PublishedPort?: number }[] } | undefined)?.Ports ?? []).map((p) => p.PublishedPort ?? 0);
  for (const p of ports) if (p !== 0 && (p < 8000 || p > 8999)) out.push(`port ${p}`);
  return out;
}

const path = fc.constantFrom("/srv/app", "/srv/../etc", "/var/lib/gitdock-data/x", "/", "/etc", "/var/run/docker.sock", "/srvx", "/srv/x/../../root");
const mount = fc.oneof(
  fc.record({ Type: fc.constant("bind"), Source: path, Target: fc.constant("/m"), ReadOnly: fc.boolean() }, { requiredKeys: ["Type", "Source", "Target"] }),
  fc.record({ Type: fc.constant("volume"), Source: fc.constantFrom("app_data", "other_db", ""), Target: fc.constant("/v") }),
  fc.record({
    Type: fc.constant("volume"),
    Source: fc.constant("app_data"),
    Target: fc.constant("/v"),
    VolumeOptions: fc.record({
      DriverConfig: fc.constantFrom(
        { Name: "local" },
        { Name: "local", Options: { type: "proc" } },
        { Name: "local", Options: { type: "none", o: "bind", device: "/etc" } },
      ),
    }),
  }),
  fc.record({ Type: fc.constantFrom("tmpfs", "npipe", "cluster"), Target: fc.constant("/t") }),
);
const labels = fc.dictionary(
  fc.constantFrom("team", "com.docker.stack.namespace", "gitdock.managed", "gitdock.agent", "gitdock.owner", "com.docker.compose.project"),
  fc.constantFrom("app", "other", "true", "false", AGENT),
  { maxKeys: 2 },
);

const containerSpec = fc.record(
  {
    User: fc.constantFrom("1000", "root", "0", "+0", ":1000", "app"),
    Labels: labels,
    CapabilityAdd: fc.subarray(["NET_ADMIN", "SYS_ADMIN", "ALL"]),
    Mounts: fc.array(mount, { maxLength: 2 }),
    Secrets: fc.subarray([{ SecretName: "app_s1" }, { SecretName: "other_s1" }, { SecretName: "app_by_hand" }]),
    Configs: fc.subarray([{ ConfigName: "app_c1" }, { ConfigName: "app_c1", Runtime: {} }, { ConfigName: "ops_ca" }]),
    Sysctls: fc.dictionary(fc.constantFrom("net.ipv4.ip_forward", "kernel.core_pattern", "kernel.shmmax"), fc.constant("1")),
    Privileges: fc.constantFrom({}, { CredentialSpec: { File: "x.json" } }, { SELinuxContext: { Disable: true } }),
    Isolation: fc.constantFrom("", "default", "hyperv"),
    Unknown: fc.constantFrom(undefined, 1, "x"),
  },
  { requiredKeys: [] },
);
const task = fc.record(
  {
    Networks: fc.subarray([{ Target: "app_default" }, { Target: "host" }, { Target: "ingress" }, { Target: "proxy" }, { Target: "other_default" }]),
    Runtime: fc.constantFrom("", "container", "plugin", "attachment"),
    PluginSpec: fc.constantFrom({}, { Remote: "evil/plugin" }),
    LogDriver: fc.record({ Name: fc.constantFrom("json-file", "syslog", "gelf") }),
    Resources: fc.record({ Reservations: fc.record({ GenericResources: fc.subarray([{ NamedResourceSpec: { Kind: "GPU", Value: "UUID1" } }]) }) }),
  },
  { requiredKeys: [] },
);
const top = fc.record(
  {
    Name: fc.constantFrom("app_web", "other_web"),
    Labels: labels,
    Mode: fc.constantFrom({ Replicated: { Replicas: 2 } }, { Global: {} }, { GlobalJob: {} }, { ReplicatedJob: {} }),
    Networks: fc.subarray([{ Target: "app_default" }, { Target: "bridge" }]),
    EndpointSpec: fc.record({
      Ports: fc.array(fc.record({ TargetPort: fc.constant(80), PublishedPort: fc.constantFrom(0, 22, 8080, 9000) }), { maxLength: 2 }),
    }),
  },
  { requiredKeys: [] },
);

/** A plain service with a few risky fields: none to two at each level, often none. */
const some = <T extends Record<string, unknown>>(risky: fc.Arbitrary<T>) =>
  fc.tuple(risky, fc.constantFrom(0, 0, 1, 2)).map(([o, n]) => Object.fromEntries(Object.entries(o).slice(0, n)));
const body = fc.tuple(some(containerSpec), some(task), some(top)).map(([spec, t, s]) => ({
  Name: "app_web",
  ...s,
  TaskTemplate: { Networks: [{ Target: "app_default" }], ...t, ContainerSpec: { Image: IMAGE, Env: ["A=b"], ...spec } },
}));

const STACKS = new Map([
  [
    "app",
    {
      containers: new Set<string>(),
      networks: new Map([
        ["app_default", { external: false }],
        ["proxy", { external: true }],
      ]),
      volumes: new Map([["app_data", { external: false }]]),
      swarmSecrets: new Set(["app_s1"]),
      swarmConfigs: new Set(["app_c1"]),
    },
  ],
]);

describe("property: what the default policy lets through is a plain unprivileged service of its stack", () => {
  it("never allows a service spec that the oracle finds privileged", () => {
    let allowed = 0;
    let refused = 0;
    fc.assert(
      fc.property(body, (generated) => {
        const request: EngineRequest = {
          kind: "service-create",
          body: generated,
          origin: { file: "hosts/h1/app/compose.yaml", project: "app", path: ["services", "web"] },
        };
        const violations = judgeEngineRequests([request], { policy: POLICY, guarded: guardedPaths([]), stacks: STACKS, swarm: true, agentId: AGENT });
        if (violations.length === 0) {
          allowed++;
          expect(privileges(request.body)).toEqual([]);
        } else refused++;
      }),
      { numRuns: runs(3000) },
    );
    // The generator must reach both sides, or the property says nothing.
    expect(allowed).toBeGreaterThan(runs(3000) / 100);
    expect(refused).toBeGreaterThan(runs(3000) / 2);
  });
});
