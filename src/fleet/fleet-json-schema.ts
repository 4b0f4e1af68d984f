import { z } from "zod";
import { FLEET_DEFAULTS, fleetFileSchema } from "./fleet-schema.js";

/**
 * The JSON Schema editors use for fleet files (schema/fleet.schema.json), generated from the zod
 * schema that validates them, with each wave setting's default as its `default`.
 */
export function renderFleetJsonSchema(): string {
  const schema = z.toJSONSchema(fleetFileSchema, { target: "draft-7", io: "input" }) as unknown as {
    properties: { waves: { items: { properties: Record<string, { default?: unknown }> } } };
  };
  const wave = schema.properties.waves.items.properties;
  for (const [key, value] of Object.entries(FLEET_DEFAULTS)) if (wave[key]) wave[key].default = value;
  return `${JSON.stringify({ ...schema, title: "gitdock fleet file" }, null, 2)}\n`;
}
