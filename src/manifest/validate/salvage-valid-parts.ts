import { z } from "zod";
import { schemaProblems } from "./validate-part.js";

export const INVALID = Symbol("invalid");

/**
 * The parts of `value` that pass `schema`. A mapping keeps its valid keys and a record its valid
 * entries; anything else, lists included, is all or nothing (dropping one item of a list would
 * shift the indexes later problems are reported at). The result can lack keys the schema
 * requires, so callers treat it as best effort: it exists only so the semantic rules can report
 * problems in the valid parts of a file whose other parts already failed the schema.
 */
export function salvageValidParts(schema: z.ZodType, value: unknown): unknown {
  if (schemaProblems(schema, value, []).length === 0) return value;
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (inner instanceof z.ZodObject && isMapping(value)) {
    const shape = inner.shape as Record<string, z.ZodType>;
    return keepValid(
      Object.entries(value).filter(([key]) => Object.hasOwn(shape, key)),
      (key) => shape[key],
    );
  }
  if (inner instanceof z.ZodRecord && isMapping(value)) {
    return keepValid(Object.entries(value), () => inner.valueType as z.ZodType);
  }
  return INVALID;
}

function keepValid(entries: [string, unknown][], schemaOf: (key: string) => z.ZodType | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const schema = schemaOf(key);
    const kept = schema === undefined ? INVALID : salvageValidParts(schema, item);
    // copyDocument has dropped `__proto__` keys, so plain assignment only ever makes data.
    if (kept !== INVALID) out[key] = kept;
  }
  return out;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
