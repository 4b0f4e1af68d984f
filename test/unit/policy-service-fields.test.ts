/**
 * The Swarm tables against the Engine API gitdock speaks (1.41): every field the API documents for
 * a ServiceSpec (with its TaskSpec, ContainerSpec, EndpointSpec, mounts and resources), a
 * SecretSpec and a ConfigSpec is known to the policy, and a field the policy does not know is
 * refused. Field lists copied from moby's docs/api/v1.41.yaml (definitions ServiceSpec, TaskSpec,
 * EndpointSpec, EndpointPortConfig, NetworkAttachmentConfig, Limit, ResourceObject, Mount,
 * SecretSpec, ConfigSpec).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { guardedPaths, judgeEngineRequests, type EngineRequest } from "../../src/policy/index.js";
import {
  containerSpecFields,
  DNS_CONFIG_FIELDS,
  ENDPOINT_PORT_FIELDS,
  ENDPOINT_SPEC_FIELDS,
  LIMIT_FIELDS,
  LOG_DRIVER_FIELDS,
  MODE_FIELDS,
  NETWORK_ATTACHMENT_FIELDS,
  PLACEMENT_FIELDS,
  PRIVILEGES_FIELDS,
  RESERVATION_FIELDS,
  RESOURCES_FIELDS,
  RESTART_POLICY_FIELDS,
  ROLLOUT_FIELDS,
  serviceSpecFields,
  taskSpecFields,
} from "../../src/policy/requests/service-fields.js";
import { SWARM_MOUNT_FIELDS, TMPFS_OPTIONS_FIELDS, VOLUME_OPTIONS_FIELDS } from "../../src/policy/requests/swarm-mounts.js";
import { CONFIG_REFERENCE_FIELDS, CONFIG_SPEC_FIELDS, SECRET_REFERENCE_FIELDS, SECRET_SPEC_FIELDS } from "../../src/policy/requests/swarm-secrets.js";
import type { FieldTable } from "../../src/policy/requests/walk-fields.js";

const API_1_41 = {
  ServiceSpec: ["Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig", "RollbackConfig", "Networks", "EndpointSpec"],
  "ServiceSpec.Mode": ["Replicated", "Global", "ReplicatedJob", "GlobalJob"],
  "ServiceSpec.UpdateConfig": ["Parallelism", "Delay", "FailureAction", "Monitor", "MaxFailureRatio", "Order"],
  TaskSpec: [
    "PluginSpec",
    "ContainerSpec",
    "NetworkAttachmentSpec",
    "Resources",
    "RestartPolicy",
    "Placement",
    "ForceUpdate",
    "Runtime",
    "Networks",
    "LogDriver",
  ],
  "TaskSpec.ContainerSpec": [
    "Image",
    "Labels",
    "Command",
    "Args",
    "Hostname",
    "Env",
    "Dir",
    "User",
    "Groups",
    "Privileges",
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
    "Isolation",
    "Init",
    "Sysctls",
    "CapabilityAdd",
    "CapabilityDrop",
    "Ulimits",
  ],
  "ContainerSpec.Privileges": ["CredentialSpec", "SELinuxContext"],
  "ContainerSpec.DNSConfig": ["Nameservers", "Search", "Options"],
  "ContainerSpec.Secrets[]": ["File", "SecretID", "SecretName"],
  "ContainerSpec.Configs[]": ["File", "Runtime", "ConfigID", "ConfigName"],
  "TaskSpec.Resources": ["Limits", "Reservations"],
  Limit: ["NanoCPUs", "MemoryBytes", "Pids"],
  ResourceObject: ["NanoCPUs", "MemoryBytes", "GenericResources"],
  "TaskSpec.RestartPolicy": ["Condition", "Delay", "MaxAttempts", "Window"],
  "TaskSpec.Placement": ["Constraints", "Preferences", "MaxReplicas", "Platforms"],
  "TaskSpec.LogDriver": ["Name", "Options"],
  NetworkAttachmentConfig: ["Target", "Aliases", "DriverOpts"],
  EndpointSpec: ["Mode", "Ports"],
  EndpointPortConfig: ["Name", "Protocol", "TargetPort", "PublishedPort", "PublishMode"],
  Mount: ["Target", "Source", "Type", "ReadOnly", "Consistency", "BindOptions", "VolumeOptions", "TmpfsOptions"],
  "Mount.VolumeOptions": ["NoCopy", "Labels", "DriverConfig"],
  "Mount.TmpfsOptions": ["SizeBytes", "Mode"],
  SecretSpec: ["Name", "Labels", "Data", "Driver", "Templating"],
  ConfigSpec: ["Name", "Labels", "Data", "Templating"],
};

/** Privileges of APIs after 1.41 that the table names on purpose, so they are refused by a decision rather than by omission. */
const NEWER_PRIVILEGES = ["Seccomp", "AppArmor", "NoNewPrivileges"];

const keys = (table: FieldTable<unknown>) => Object.keys(table).sort();
const sorted = (fields: readonly string[]) => [...fields].sort();
const NO_HOST = { hostNetwork: false };

describe("the Swarm tables cover the Engine API 1.41", () => {
  it.each<[string, FieldTable<never>, readonly string[]]>([
    ["ServiceSpec", serviceSpecFields({}), API_1_41.ServiceSpec],
    ["ServiceSpec.Mode", MODE_FIELDS, API_1_41["ServiceSpec.Mode"]],
    ["ServiceSpec.UpdateConfig and RollbackConfig", ROLLOUT_FIELDS, API_1_41["ServiceSpec.UpdateConfig"]],
    ["TaskSpec", taskSpecFields(NO_HOST), API_1_41.TaskSpec],
    ["TaskSpec.ContainerSpec", containerSpecFields(NO_HOST), API_1_41["TaskSpec.ContainerSpec"]],
    ["ContainerSpec.Privileges (and newer APIs' confinement)", PRIVILEGES_FIELDS, [...API_1_41["ContainerSpec.Privileges"], ...NEWER_PRIVILEGES]],
    ["ContainerSpec.DNSConfig", DNS_CONFIG_FIELDS, API_1_41["ContainerSpec.DNSConfig"]],
    ["ContainerSpec.Secrets[]", SECRET_REFERENCE_FIELDS, API_1_41["ContainerSpec.Secrets[]"]],
    ["ContainerSpec.Configs[]", CONFIG_REFERENCE_FIELDS, API_1_41["ContainerSpec.Configs[]"]],
    ["TaskSpec.Resources", RESOURCES_FIELDS, API_1_41["TaskSpec.Resources"]],
    ["Limit", LIMIT_FIELDS, API_1_41.Limit],
    ["ResourceObject", RESERVATION_FIELDS, API_1_41.ResourceObject],
    ["TaskSpec.RestartPolicy", RESTART_POLICY_FIELDS, API_1_41["TaskSpec.RestartPolicy"]],
    ["TaskSpec.Placement", PLACEMENT_FIELDS, API_1_41["TaskSpec.Placement"]],
    ["TaskSpec.LogDriver", LOG_DRIVER_FIELDS, API_1_41["TaskSpec.LogDriver"]],
    ["NetworkAttachmentConfig", NETWORK_ATTACHMENT_FIELDS, API_1_41.NetworkAttachmentConfig],
    ["EndpointSpec", ENDPOINT_SPEC_FIELDS, API_1_41.EndpointSpec],
    ["EndpointPortConfig", ENDPOINT_PORT_FIELDS, API_1_41.EndpointPortConfig],
    ["Mount", SWARM_MOUNT_FIELDS, API_1_41.Mount],
    ["Mount.VolumeOptions", VOLUME_OPTIONS_FIELDS, API_1_41["Mount.VolumeOptions"]],
    ["Mount.TmpfsOptions", TMPFS_OPTIONS_FIELDS, API_1_41["Mount.TmpfsOptions"]],
    ["SecretSpec", SECRET_SPEC_FIELDS, API_1_41.SecretSpec],
    ["ConfigSpec", CONFIG_SPEC_FIELDS, API_1_41.ConfigSpec],
  ])("%s: every field the API documents, and no other", (_name, table, fields) => {
    expect(keys(table as FieldTable<unknown>)).toEqual(sorted(fields));
  });
});

const IMAGE = `127.0.0.1:5000/app@sha256:${"a".repeat(64)}`;
const origin = { file: "hosts/h1/app/compose.yaml", project: "app", path: ["services", "web"] };
const STACKS = new Map([["app", { containers: new Set<string>(), networks: new Map([["app_default", { external: false }]]), volumes: new Map() }]]);

/** A plain service with `task` merged into its TaskTemplate and `spec` into its ContainerSpec. */
function judgeService(spec: Record<string, unknown> = {}, task: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  const body = {
    Name: "app_web",
    TaskTemplate: { ContainerSpec: { Image: IMAGE, ...spec }, Networks: [{ Target: "app_default" }], ...task },
    ...top,
  };
  const request: EngineRequest = { kind: "service-create", body, origin };
  return judgeEngineRequests([request], { policy: DEFAULT_POLICY, guarded: guardedPaths([]), stacks: STACKS, swarm: true });
}

describe("fields at the Engine's default only", () => {
  const containerDefaults = Object.entries(PRIVILEGES_FIELDS)
    .filter(([, r]) => r === "default")
    .map(([f]) => f);
  it.each(containerDefaults)("refuses ContainerSpec.Privileges.%s unless at the default", (field) => {
    expect(judgeService({ Privileges: { [field]: null } })).toEqual([]);
    for (const value of [1, "x", ["x"], { x: "y" }, true]) {
      const found = judgeService({ Privileges: { [field]: value } });
      expect(found.map((v) => v.field)).toEqual([`TaskTemplate.ContainerSpec.Privileges.${field}`]);
      expect(found[0]?.message).toMatch(/only the Engine's default/);
    }
  });

  it("refuses the plugin and attachment task kinds and the job modes even empty: an empty object selects them", () => {
    expect(judgeService({}, { PluginSpec: {} }).map((v) => v.field)).toEqual(["TaskTemplate.PluginSpec"]);
    expect(judgeService({}, { NetworkAttachmentSpec: {} }).map((v) => v.field)).toEqual(["TaskTemplate.NetworkAttachmentSpec"]);
    expect(judgeService({}, {}, { Mode: { GlobalJob: {} } }).map((v) => v.field)).toEqual(["Mode.GlobalJob"]);
    expect(judgeService({}, {}, { Mode: { ReplicatedJob: { MaxConcurrent: 1 } } }).map((v) => v.field)).toEqual(["Mode.ReplicatedJob"]);
    expect(judgeService({}, {}, { Mode: { Global: {} } })).toEqual([]);
    expect(judgeService({}, {}, { Mode: { Replicated: { Replicas: 3 } } })).toEqual([]);
  });

  it("refuses a task runtime other than containers, and Windows isolation", () => {
    expect(judgeService({}, { Runtime: "plugin" }).map((v) => v.field)).toEqual(["TaskTemplate.Runtime"]);
    expect(judgeService({}, { Runtime: "attachment" }).map((v) => v.field)).toEqual(["TaskTemplate.Runtime"]);
    expect(judgeService({}, { Runtime: "container" })).toEqual([]);
    expect(judgeService({ Isolation: "hyperv" }).map((v) => v.field)).toEqual(["TaskTemplate.ContainerSpec.Isolation"]);
    expect(judgeService({ Isolation: "default" })).toEqual([]);
  });

  it("refuses a field the policy does not know, at any depth, naming it", () => {
    expect(judgeService({ OomScoreAdj: -1000 }).map((v) => v.field)).toEqual(["TaskTemplate.ContainerSpec.OomScoreAdj"]);
    expect(judgeService({}, { Resources: { Limits: { Futuristic: 1 } } }).map((v) => v.field)).toEqual(["TaskTemplate.Resources.Limits.Futuristic"]);
    expect(judgeService({}, { Placement: { Futuristic: ["x"] } }).map((v) => v.field)).toEqual(["TaskTemplate.Placement.Futuristic"]);
    expect(judgeService({}, {}, { UpdateConfig: { Futuristic: true } }).map((v) => v.field)).toEqual(["UpdateConfig.Futuristic"]);
    expect(judgeService({}, {}, { Futuristic: 1 }).map((v) => v.message)).toEqual([
      expect.stringMatching(/^Futuristic is set \(1\), and the host policy does not know/),
    ]);
    expect(judgeService({ Mounts: [{ Type: "tmpfs", Target: "/t", TmpfsOptions: { Options: [["exec"]] } }] }).map((v) => v.field)).toEqual([
      "TaskTemplate.ContainerSpec.Mounts[0].TmpfsOptions.Options",
    ]);
  });

  it("lets scheduling and the container's own settings through", () => {
    const spec = {
      Labels: { tier: "web" },
      Command: ["sh"],
      Args: ["-c", "true"],
      Hostname: "web",
      Env: ["A=b"],
      Dir: "/app",
      User: "1000:1000",
      Groups: ["audio"],
      TTY: false,
      OpenStdin: false,
      ReadOnly: true,
      StopSignal: "SIGTERM",
      StopGracePeriod: 10e9,
      HealthCheck: { Test: ["CMD", "true"], Interval: 1e9 },
      Hosts: ["1.2.3.4 a"],
      DNSConfig: { Nameservers: ["1.1.1.1"], Search: ["x"], Options: ["ndots:2"] },
      Init: true,
      Sysctls: { "net.core.somaxconn": "1024" },
      CapabilityDrop: ["ALL"],
      Ulimits: [{ Name: "nofile", Soft: 1, Hard: 2 }],
      Mounts: [{ Type: "tmpfs", Target: "/run", TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o700 } }],
    };
    const task = {
      Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 1 << 26, Pids: 100 }, Reservations: { NanoCPUs: 1e8, MemoryBytes: 1 << 20 } },
      RestartPolicy: { Condition: "on-failure", Delay: 5e9, MaxAttempts: 3, Window: 60e9 },
      Placement: { Constraints: ["node.role==worker"], Preferences: [{ Spread: { SpreadDescriptor: "node.labels.az" } }], MaxReplicas: 2 },
      ForceUpdate: 1,
      LogDriver: { Name: "json-file", Options: { "max-size": "1m" } },
    };
    const top = {
      Labels: { team: "shop" },
      Mode: { Replicated: { Replicas: 3 } },
      UpdateConfig: { Parallelism: 1, Delay: 1e9, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0.1, Order: "start-first" },
      RollbackConfig: { Parallelism: 1, Order: "stop-first" },
      EndpointSpec: { Mode: "vip", Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] },
    };
    expect(judgeService(spec, task, top)).toEqual([]);
  });
});
