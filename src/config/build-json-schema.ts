import { z } from "zod";
import { agentConfigSchema } from "./config-schema.js";

/**
 * The JSON Schema editors use for the agent's config file (schema/agent-config.schema.json),
 * generated from the same zod schema that validates it, with the defaults in its descriptions.
 * Draft 7, which YAML language servers understand. Refinements (a duration greater than zero, a
 * cron schedule that fires) are the agent's to check; the schema carries the shapes and patterns.
 */
export function buildAgentConfigJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(agentConfigSchema, { target: "draft-7", io: "input" }), title: "gitdock agent configuration" };
}

/** The exact text committed as schema/agent-config.schema.json. */
export function renderAgentConfigJsonSchema(): string {
  return `${JSON.stringify(buildAgentConfigJsonSchema(), null, 2)}\n`;
}
