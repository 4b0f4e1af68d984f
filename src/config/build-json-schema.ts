import { z } from "zod";
import { agentConfigSchema } from "./config-schema.js";
import { CONFIG_DEFAULTS } from "./defaults.js";

/**
 * The JSON Schema editors use for the agent's config file (schema/agent-config.schema.json),
 * generated from the same zod schema that validates it, each default both in its description and
 * as the property's `default` (from CONFIG_DEFAULTS, so editors can show and complete it). Draft 7,
 * which YAML language servers understand. Refinements (a duration greater than zero, a cron
 * schedule that fires) are the agent's to check; the schema carries the shapes and patterns.
 */
export function buildAgentConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(agentConfigSchema, { target: "draft-7", io: "input" }) as JsonNode;
  addDefaults(schema, CONFIG_DEFAULTS);
  return { ...schema, title: "gitdock agent configuration" };
}

/** The exact text committed as schema/agent-config.schema.json. */
export function renderAgentConfigJsonSchema(): string {
  return `${JSON.stringify(buildAgentConfigJsonSchema(), null, 2)}\n`;
}

interface JsonNode {
  properties?: Record<string, JsonNode>;
  items?: JsonNode;
  anyOf?: JsonNode[];
  default?: unknown;
  [key: string]: unknown;
}

/**
 * Sets `default` on every property whose default CONFIG_DEFAULTS holds; sections are walked, not
 * given one. A section whose property is a list holds the defaults of each entry (report.notifications).
 */
function addDefaults(node: JsonNode, defaults: Record<string, unknown>): void {
  const object = [node, ...(node.anyOf ?? [])].find((n) => n.properties !== undefined);
  for (const [key, value] of Object.entries(defaults)) {
    const property = object?.properties?.[key];
    if (property === undefined) continue;
    if (isSection(value)) addDefaults(property.items ?? property, value);
    else property.default = value;
  }
}

function isSection(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
