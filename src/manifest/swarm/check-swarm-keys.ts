import type { UnsentKey } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm, USE_CONTAINERS_HOST } from "./swarm-wording.js";

/**
 * A service key as a Swarm service (Engine API 1.41, TaskTemplate.ContainerSpec) takes it:
 * `refuse` when the service cannot carry it and would run otherwise than written (a problem at the
 * key), `warn` when Swarm merely has no use for it (an UnsentKey, logged once per service).
 * `when` narrows the rule to some values; without it any value written counts.
 */
interface KeyRule {
  key: keyof ServiceInput;
  kind: "refuse" | "warn";
  when?: (value: unknown) => boolean;
  reason: string;
}

const isTrue = (value: unknown) => value === true;
/** 0 asks for the Engine's default, the same as leaving the key out. */
const notZero = (value: unknown) => value !== 0 && value !== "0";
const DEFAULT_IPC = new Set(["private", "shareable"]);

export const SWARM_KEY_RULES: readonly KeyRule[] = [
  {
    key: "container_name",
    kind: "refuse",
    reason: "Swarm names each task's container itself, <project>_<service>.<slot>.<task id>; remove container_name and reach the service by its name",
  },
  {
    key: "privileged",
    kind: "refuse",
    when: isTrue,
    reason: `a Swarm service cannot run privileged on Engine API 1.41; grant what it needs with cap_add, ${USE_CONTAINERS_HOST}`,
  },
  { key: "devices", kind: "refuse", reason: `a Swarm service cannot map host devices on Engine API 1.41; ${USE_CONTAINERS_HOST}` },
  { key: "pid", kind: "refuse", reason: `a Swarm service cannot set a PID namespace on Engine API 1.41; remove pid, ${USE_CONTAINERS_HOST}` },
  {
    key: "ipc",
    kind: "refuse",
    when: (value) => !DEFAULT_IPC.has(String(value)),
    reason: `a Swarm service cannot set an IPC mode on Engine API 1.41; remove ipc, ${USE_CONTAINERS_HOST}`,
  },
  {
    key: "ipc",
    kind: "warn",
    when: (value) => DEFAULT_IPC.has(String(value)),
    reason: "a Swarm service cannot set an IPC mode; its tasks get the daemon's default (private, or shareable where the daemon says so)",
  },
  {
    key: "links",
    kind: "refuse",
    reason:
      "Swarm has no links: services on a shared network reach each other by service name; for another name add it under the linked service's networks: <key>: aliases:, and use depends_on for the order",
  },
  {
    key: "external_links",
    kind: "refuse",
    reason: "Swarm has no links: attach the service to the other container's network, declared with external: true, and reach it by name",
  },
  {
    key: "cpu_shares",
    kind: "refuse",
    when: notZero,
    reason: "a Swarm service has no CPU weight on Engine API 1.41; reserve CPUs with deploy.resources.reservations.cpus, or limit them with cpus",
  },
  {
    key: "memswap_limit",
    kind: "refuse",
    reason: "a Swarm service cannot limit swap on Engine API 1.41; remove memswap_limit; the memory limit still holds",
  },
  {
    key: "shm_size",
    kind: "refuse",
    when: notZero,
    reason: "a Swarm service has no shm_size on Engine API 1.41; mount a tmpfs there instead: volumes: [{type: tmpfs, target: /dev/shm, tmpfs: {size: 64m}}]",
  },
  {
    key: "runtime",
    kind: "refuse",
    reason: `a Swarm service runs the node's default runtime on Engine API 1.41; set default-runtime in the nodes' daemon.json, ${USE_CONTAINERS_HOST}`,
  },
  {
    key: "security_opt",
    kind: "refuse",
    reason: `a Swarm service cannot carry security options on Engine API 1.41: it has no seccomp, AppArmor or no-new-privileges; drop capabilities with cap_drop instead, ${USE_CONTAINERS_HOST}`,
  },
  {
    key: "tmpfs",
    kind: "refuse",
    reason: "a Swarm service has no tmpfs key; write a volumes: entry instead: {type: tmpfs, target: /run, tmpfs: {size: 64m}}",
  },
  {
    key: "expose",
    kind: "warn",
    reason: "a Swarm service has no exposed ports on Engine API 1.41; its tasks reach each other on their networks on any port",
  },
  {
    key: "platform",
    kind: "warn",
    reason:
      "a Swarm service has no platform on Engine API 1.41: the nodes the image has a platform for run its tasks; to choose, constrain placement (node.platform.arch==x86_64)",
  },
  {
    key: "pull_policy",
    kind: "warn",
    when: (value) => value === "always" || value === "never",
    reason: "each node pulls the pinned image when it does not have it; Swarm has no pull policy",
  },
];

/** Applies the rules to one service: problems reported at their keys, warnings returned. */
export function checkSwarmKeys(service: ServiceInput, problems: ProblemSink): UnsentKey[] {
  const unsent: UnsentKey[] = [];
  for (const rule of SWARM_KEY_RULES) {
    const value = service[rule.key];
    // An empty list asks for nothing.
    if (value === undefined || (Array.isArray(value) && value.length === 0) || (rule.when && !rule.when(value))) continue;
    if (rule.kind === "refuse") problems.report([rule.key], notOnSwarm(rule.reason), "key");
    else unsent.push({ key: rule.key, reason: rule.reason });
  }
  return unsent;
}
