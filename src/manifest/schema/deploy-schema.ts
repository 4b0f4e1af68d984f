import { z } from "zod";
import { UPDATE_DEFAULTS } from "../defaults.js";
import { cpusSchema, pidsLimitSchema } from "./container-keys-schema.js";
import { byteSize, duration, labelsSchema, scalar, stringList } from "./schema-primitives.js";

const updateConfig = z
  .strictObject({
    parallelism: z.int().min(1).optional().describe(`Containers replaced at a time. Default ${UPDATE_DEFAULTS.parallelism}.`),
    delay: duration.optional().describe("Wait between batches. Default 0s."),
    order: z
      .enum(["stop-first", "start-first"])
      .optional()
      .describe("stop-first (default): stop the old container, then start the new one. start-first: the reverse."),
    failure_action: z
      .enum(["rollback", "pause", "continue"])
      .optional()
      .describe("What to do when a batch fails its health gate. Default rollback (unlike Swarm)."),
    monitor: duration.optional().describe("How long a new container must stay healthy. Default 10s."),
    max_failure_ratio: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("The share of a batch's containers that may fail their health gate before the batch counts as failed (0 to 1). Default 0."),
  })
  .describe("How gitdock replaces this service's containers.");

const limits = z.strictObject({
  memory: byteSize.optional().describe('Memory limit: "512m", "1g".'),
  cpus: cpusSchema.optional(),
  pids: pidsLimitSchema.optional(),
});

const deviceRequest = z
  .strictObject({
    capabilities: stringList.describe('What the devices must offer, e.g. ["gpu"]. Required.'),
    driver: z.string().optional().describe('The device driver, e.g. "nvidia". Default: chosen by the capabilities.'),
    count: z
      .union([z.int().min(1), z.literal("all")], { error: 'expected a number of devices or "all"' })
      .optional()
      .describe('How many devices, or "all" (the default when device_ids is not set).'),
    device_ids: stringList.optional().describe("Which devices, by the driver's ids; excludes count."),
    options: z.union([stringList, z.record(z.string(), scalar)], { error: 'expected a mapping or a list of "KEY=VALUE" strings' }).optional(),
  })
  .describe("Devices (GPUs) a driver hands the container. The host policy must allow device requests.");

const reservations = z.strictObject({
  memory: byteSize.optional().describe("Memory reservation (a soft limit the kernel enforces under memory pressure)."),
  cpus: cpusSchema
    .optional()
    .describe(
      "CPUs reserved for each task on a Swarm (engine: swarm). On plain containers accepted and not sent: a container has no CPU reservation (use cpus or cpu_shares); gitdock logs it once per service.",
    ),
  devices: z.array(deviceRequest).optional(),
});

const restartPolicy = z
  .strictObject({
    condition: z.enum(["none", "on-failure", "any"]).optional().describe("none, on-failure or any (default): restart never, after a failure, or always."),
    max_attempts: z.int().min(0).optional().describe("With on-failure: how many restarts before giving up."),
    delay: duration
      .optional()
      .describe("Wait between restarts, on a Swarm (engine: swarm). On plain containers accepted and not sent: the Engine's restart policy has no delay (it backs off by itself)."),
    window: duration
      .optional()
      .describe(
        "How long a restarted task must run to count as a success, on a Swarm (engine: swarm). On plain containers accepted and not sent: the Engine's restart policy has no window.",
      ),
  })
  .describe("Plain containers: mapped onto the container's restart policy (none → no, on-failure[:max_attempts], any → always). A Swarm (engine: swarm) takes it whole.");

const SWARM_ONLY = "Swarm only (engine: swarm); refused on plain containers.";

const placement = z
  .strictObject({
    constraints: stringList
      .optional()
      .describe('Where the tasks may run: "node.role==manager", "node.labels.zone==a", "node.hostname!=web-3"; every one must hold.'),
    preferences: z
      .array(z.strictObject({ spread: z.string().min(1).describe('A node attribute to spread the tasks evenly over: "node.labels.zone".') }), {
        error: 'expected a list of mappings like {spread: "node.labels.zone"}',
      })
      .optional()
      .describe("Spread the tasks over the values of node attributes, in order."),
    max_replicas_per_node: z.int().min(1).optional().describe("At most this many tasks of the service on one node."),
  })
  .describe(`Where Swarm places the tasks. ${SWARM_ONLY}`);

export const deploySchema = z
  .strictObject({
    mode: z
      .enum(["replicated", "global"])
      .optional()
      .describe(`replicated (default): deploy.replicas tasks; global: one task on every node placement allows (no replicas). ${SWARM_ONLY}`),
    replicas: z.int().min(0).optional().describe("Number of containers (tasks on a Swarm). Default 1."),
    resources: z.strictObject({ limits: limits.optional(), reservations: reservations.optional() }).optional(),
    restart_policy: restartPolicy.optional(),
    update_config: updateConfig.optional(),
    rollback_config: updateConfig.optional(),
    placement: placement.optional(),
    endpoint_mode: z
      .enum(["vip", "dnsrr"])
      .optional()
      .describe(`vip (default): one virtual address for the service; dnsrr: its name resolves to every task's address. ${SWARM_ONLY}`),
    labels: labelsSchema.optional().describe(`Labels on the Swarm service itself (not on its tasks' containers: use labels: for those). ${SWARM_ONLY}`),
  })
  .describe("Replicas, limits, reservations, restart policy and rollout settings; mode, placement, endpoint_mode and labels are Swarm-only (engine: swarm).");
