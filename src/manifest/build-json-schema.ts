import { z } from "zod";
import { composeFileSchema } from "./schema/compose-schema.js";
import { stackIndexSchema } from "./schema/stack-index-schema.js";

/**
 * The JSON Schemas editors use, generated from the same zod schemas that validate: the Compose
 * subset (schema/compose.schema.json) and the stack index `gitdock.yaml`
 * (schema/stack-index.schema.json). Draft 7, which YAML language servers understand. zod emits
 * strict objects as `additionalProperties: false`; Compose lets every such mapping carry `x-*`
 * extension keys.
 */
export function buildJsonSchema(): Record<string, unknown> {
  return { ...toJsonSchema(composeFileSchema), title: "gitdock stack (Compose subset)" };
}

export function buildStackIndexJsonSchema(): Record<string, unknown> {
  return { ...toJsonSchema(stackIndexSchema), title: "gitdock stack index (gitdock.yaml)" };
}

function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    target: "draft-7",
    io: "input",
    override: ({ jsonSchema }) => {
      if (jsonSchema.additionalProperties === false) jsonSchema.patternProperties = { "^x-": {} };
    },
  });
}

/** The exact text committed as schema/compose.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}

/** The exact text committed as schema/stack-index.schema.json. */
export function renderStackIndexJsonSchema(): string {
  return `${JSON.stringify(buildStackIndexJsonSchema(), null, 2)}\n`;
}
