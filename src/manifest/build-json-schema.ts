import { z } from "zod";
import { composeFileSchema } from "./schema/compose-schema.js";

/**
 * The JSON Schema editors use for gitdock's Compose subset, generated from the same zod schema
 * that validates. Draft 7, which YAML language servers understand. zod emits strict objects as
 * `additionalProperties: false`; Compose lets every such mapping carry `x-*` extension keys.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(composeFileSchema, {
    target: "draft-7",
    io: "input",
    override: ({ jsonSchema }) => {
      if (jsonSchema.additionalProperties === false) jsonSchema.patternProperties = { "^x-": {} };
    },
  });
  return { ...schema, title: "gitdock stack (Compose subset)" };
}

/** The exact text committed as schema/compose.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
