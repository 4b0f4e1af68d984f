import { parseInterval, portsAllowed } from "../port-ranges.js";
import { capAdd, image, list, networkName, sysctlsWithin, user } from "./container-fields.js";
import type { RequestScope } from "./request-scope.js";
import { swarmLabels } from "./swarm-labels.js";
import { swarmMounts } from "./swarm-mounts.js";
import { references } from "./swarm-secrets.js";
import { describe, eachItem, finding, isObject, nested, type FieldTable, type Judge } from "./walk-fields.js";

/**
 * A Swarm service, field by field (Engine API 1.41: ServiceSpec, TaskSpec, ContainerSpec,
 * EndpointSpec): the body of POST /services/create and of POST /services/{id}/update alike.
 * Every field the API documents is listed (test/unit/policy-service-fields.test.ts checks the
 * list against the API's); one the table does not know must be at the Engine's default.
 *
 * What a container create judges is judged the same way here, with the same judges (image
 * registry, root user, added capabilities, sysctls, mounts, logging driver, networks, published
 * ports). Scheduling is Swarm's business and free: placement, replicas, update and rollback
 * settings, restart policy, limits and reservations. A ContainerSpec has no privileged flag,
 * devices, or host PID/IPC namespace at all; what comes closest (generic resources, a plugin or
 * attachment runtime, job modes, credential specs) is refused.
 */

/** Networks every Swarm node has: the routing mesh, the nodes' bridges, the Engine's own. */
const SWARM_ENGINE_NETWORKS = new Set(["ingress", "docker_gwbridge", "bridge", "none", "default"]);

/** `<project>_<service>`, as `docker stack deploy` names it; an existing service of that name must be gitdock's. */
const serviceName: Judge<RequestScope> = (value, field, scope) => {
  const name = String(value);
  if (!name.startsWith(`${scope.project}_`))
    return finding(field, `service ${describe(value)} is not named ${scope.project}_<service>, as stack ${scope.project}'s services are`);
  return scope.engine?.services?.get(name) === false ? finding(field, `service ${name} already exists on the Swarm and gitdock does not own it`) : [];
};

/** A network a task joins: one of the stack's overlay networks or an allowed external one; `host` only when the policy allows the host's network. */
const networkTarget: Judge<RequestScope> = (value, field, scope) => {
  const target = String(value);
  if (target === "host") return scope.policy.hostNetwork ? [] : finding(field, "the host network is not allowed by the host policy");
  if (SWARM_ENGINE_NETWORKS.has(target)) return finding(field, `the Swarm's "${target}" network is not allowed by the host policy: use a network of the stack`);
  return networkName(target, field, scope);
};

export const NETWORK_ATTACHMENT_FIELDS: FieldTable<RequestScope> = {
  Target: networkTarget,
  Aliases: "free",
  DriverOpts: "default",
};

const networks: Judge<RequestScope> = eachItem(nested(NETWORK_ATTACHMENT_FIELDS));

/** Ports published on the nodes: in ingress mode on every node of the Swarm, in host mode on each node a task runs on. */
const publishedPort: Judge<RequestScope> = (value, field, { policy }) => {
  if (value === 0) return []; // Swarm picks one from its own dynamic range, as the kernel picks an ephemeral one
  const wanted = typeof value === "number" ? parseInterval(String(value)) : undefined;
  const allowed = policy.publishedPorts.map(parseInterval).filter((p) => p !== undefined);
  return wanted && portsAllowed(wanted, allowed)
    ? []
    : finding(field, `published port ${describe(value)} is outside the ranges the host policy allows (${list(policy.publishedPorts)})`);
};

const oneOf =
  (what: string, allowed: readonly string[]): Judge<RequestScope> =>
  (value, field) =>
    allowed.includes(String(value))
      ? []
      : finding(field, `${what} ${describe(value)} is not one the host policy knows (${allowed.filter(Boolean).join(", ")})`);

export const ENDPOINT_PORT_FIELDS: FieldTable<RequestScope> = {
  Name: "free",
  Protocol: "free",
  TargetPort: "free",
  PublishedPort: publishedPort,
  PublishMode: oneOf("publish mode", ["", "ingress", "host"]),
};

export const ENDPOINT_SPEC_FIELDS: FieldTable<RequestScope> = {
  Mode: oneOf("endpoint mode", ["", "vip", "dnsrr"]),
  Ports: eachItem(nested(ENDPOINT_PORT_FIELDS)),
};

/**
 * Credential specs (Windows), SELinux labels and, in APIs after 1.41, seccomp, AppArmor and
 * no-new-privileges: the container's confinement, which a container create takes from
 * `security_opt` and the policy's list. Here only the Engine's defaults.
 */
export const PRIVILEGES_FIELDS: FieldTable<RequestScope> = {
  CredentialSpec: "default",
  SELinuxContext: "default",
  Seccomp: "default",
  AppArmor: "default",
  NoNewPrivileges: "default",
};

export const DNS_CONFIG_FIELDS: FieldTable<RequestScope> = { Nameservers: "free", Search: "free", Options: "free" };

/** ContainerSpec; the sysctls depend on whether the task joins the host's network. */
export function containerSpecFields(namespaces: { hostNetwork: boolean }): FieldTable<RequestScope> {
  return {
    Image: image,
    Labels: swarmLabels,
    Command: "free",
    Args: "free",
    Hostname: "free",
    Env: "free",
    Dir: "free",
    User: user,
    Groups: "free",
    Privileges: nested(PRIVILEGES_FIELDS),
    TTY: "free",
    OpenStdin: "free",
    ReadOnly: "free",
    Mounts: swarmMounts,
    StopSignal: "free",
    StopGracePeriod: "free",
    HealthCheck: "free",
    Hosts: "free",
    DNSConfig: nested(DNS_CONFIG_FIELDS),
    Secrets: references("secret"),
    Configs: references("config"),
    // Windows' process or Hyper-V isolation.
    Isolation: oneOf("isolation", ["", "default"]),
    Init: "free",
    // A Swarm task has its own IPC namespace always (API 1.41 has no IPC mode for services).
    Sysctls: sysctlsWithin({ hostNetwork: namespaces.hostNetwork, hostIpc: false }),
    CapabilityAdd: capAdd,
    CapabilityDrop: "free",
    Ulimits: "free",
  };
}

/** Node resources a Swarm admin advertised (GPUs, `SSD=3`): the Swarm form of devices a driver hands out. */
const genericResources: Judge<RequestScope> = (value, field, { policy }) =>
  Array.isArray(value) && value.length > 0 && !policy.deviceRequests
    ? finding(
        field,
        "generic resources (GPUs and other node resources Swarm hands out) are not allowed by the host policy; set device_requests: true to allow them",
      )
    : [];

export const LIMIT_FIELDS: FieldTable<RequestScope> = { NanoCPUs: "free", MemoryBytes: "free", Pids: "free" };
export const RESERVATION_FIELDS: FieldTable<RequestScope> = { NanoCPUs: "free", MemoryBytes: "free", GenericResources: genericResources };
export const RESOURCES_FIELDS: FieldTable<RequestScope> = { Limits: nested(LIMIT_FIELDS), Reservations: nested(RESERVATION_FIELDS) };
export const RESTART_POLICY_FIELDS: FieldTable<RequestScope> = { Condition: "free", Delay: "free", MaxAttempts: "free", Window: "free" };
export const PLACEMENT_FIELDS: FieldTable<RequestScope> = { Constraints: "free", Preferences: "free", MaxReplicas: "free", Platforms: "free" };

export const LOG_DRIVER_FIELDS: FieldTable<RequestScope> = { Name: "free", Options: "free" };

const logDriver: Judge<RequestScope> = (value, field, scope) => {
  if (!isObject(value)) return finding(field, `expected an object, got ${describe(value)}`);
  const out = nested(LOG_DRIVER_FIELDS)(value, field, scope);
  const name = String(value["Name"] ?? "");
  if (name !== "" && !scope.policy.logDrivers.includes(name)) {
    out.push({ field: `${field}.Name`, message: `logging driver ${name} is not allowed by the host policy (allowed: ${list(scope.policy.logDrivers)})` });
  }
  return out;
};

/** TaskSpec. `Runtime` `plugin` installs a plugin on every node, `attachment` is the Engine's own bookkeeping: only containers. */
export function taskSpecFields(namespaces: { hostNetwork: boolean }): FieldTable<RequestScope> {
  return {
    PluginSpec: "absent",
    ContainerSpec: nested(containerSpecFields(namespaces)),
    NetworkAttachmentSpec: "absent",
    Resources: nested(RESOURCES_FIELDS),
    RestartPolicy: nested(RESTART_POLICY_FIELDS),
    Placement: nested(PLACEMENT_FIELDS),
    ForceUpdate: "free",
    Runtime: oneOf("task runtime", ["", "container"]),
    Networks: networks,
    LogDriver: logDriver,
  };
}

/** UpdateConfig and RollbackConfig: how Swarm rolls tasks, its business. */
export const ROLLOUT_FIELDS: FieldTable<RequestScope> = {
  Parallelism: "free",
  Delay: "free",
  FailureAction: "free",
  Monitor: "free",
  MaxFailureRatio: "free",
  Order: "free",
};

/**
 * Job modes run tasks to completion, which gitdock's health gate does not judge: refused. Even
 * an empty `GlobalJob: {}` selects one, so they must be left out, not merely empty.
 */
export const MODE_FIELDS: FieldTable<RequestScope> = {
  Replicated: nested<RequestScope>({ Replicas: "free" }),
  Global: nested<RequestScope>({}),
  ReplicatedJob: "absent",
  GlobalJob: "absent",
};

/** ServiceSpec. `Networks` at the top is the older place for TaskTemplate.Networks, judged alike. */
export function serviceSpecFields(body: Record<string, unknown>): FieldTable<RequestScope> {
  const namespaces = { hostNetwork: joinsHostNetwork(body) };
  return {
    Name: serviceName,
    Labels: swarmLabels,
    TaskTemplate: nested(taskSpecFields(namespaces)),
    Mode: nested(MODE_FIELDS),
    UpdateConfig: nested(ROLLOUT_FIELDS),
    RollbackConfig: nested(ROLLOUT_FIELDS),
    Networks: networks,
    EndpointSpec: nested(ENDPOINT_SPEC_FIELDS),
  };
}

function joinsHostNetwork(body: Record<string, unknown>): boolean {
  const task = isObject(body["TaskTemplate"]) ? body["TaskTemplate"] : {};
  const attachments = [body["Networks"], task["Networks"]].flatMap((n): unknown[] => (Array.isArray(n) ? (n as unknown[]) : []));
  return attachments.some((a) => isObject(a) && a["Target"] === "host");
}
