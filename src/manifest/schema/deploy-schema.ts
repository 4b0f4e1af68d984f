import { z } from "zod";
import { UPDATE_DEFAULTS } from "../defaults.js";
import { byteSize, duration } from "./schema-primitives.js";

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
  })
  .describe("How gitdock replaces this service's containers.");

const CPUS_HINT = 'expected a number of CPUs like 0.5 or "1.5"';

const limits = z.strictObject({
  memory: byteSize.optional().describe('Memory limit: "512m", "1g".'),
  cpus: z
    .union([z.number().positive(), z.string().regex(/^\d*\.?\d+$/, { error: CPUS_HINT })], { error: CPUS_HINT })
    .optional()
    .describe('CPU limit: 0.5 or "1.5".'),
});

export const deploySchema = z
  .strictObject({
    replicas: z.int().min(0).optional().describe("Number of containers. Default 1."),
    resources: z.strictObject({ limits: limits.optional() }).optional(),
    update_config: updateConfig.optional(),
    rollback_config: updateConfig.optional(),
  })
  .describe("Replicas, limits and rollout settings. Swarm-only keys (mode, placement, restart_policy...) are refused.");
