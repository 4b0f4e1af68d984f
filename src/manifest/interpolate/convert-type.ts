import type { z } from "zod";
import type { DocPath } from "../format-path.js";
import { composeFileSchema } from "../schema/compose-schema.js";

/**
 * After substitution every value is a string, but `retries: ${RETRIES:-3}` means a number and
 * `read_only: ${RO:-false}` a boolean, as in Compose. Which keys take which types is read from the
 * zod schema itself, so a key added to the schema converts without a list to keep in step: a
 * substituted string is converted only where the schema does not accept a string but accepts a
 * number or a boolean, and only when it reads as one. Anything else stays a string, and the schema
 * says what is wrong with it.
 */
export function convertSubstituted(text: string, path: DocPath): string | number | boolean {
  const kinds = cachedKinds(path);
  if (kinds.size === 0 || kinds.has("string")) return text;
  if (kinds.has("number") && NUMBER.test(text.trim())) return Number(text.trim());
  if (kinds.has("boolean")) {
    const word = text.trim().toLowerCase();
    if (TRUE.has(word)) return true;
    if (FALSE.has(word)) return false;
  }
  return text;
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
/** Compose's words for booleans in substituted values (YAML 1.1's), any case. */
const TRUE = new Set(["y", "yes", "true", "on"]);
const FALSE = new Set(["n", "no", "false", "off"]);

type Kind = "string" | "number" | "boolean";

/** Kinds by path shape (service and resource names and list indexes do not change them). */
const KINDS = new Map<string, Set<Kind>>();

function cachedKinds(path: DocPath): Set<Kind> {
  const shape = JSON.stringify(path.map((segment, i) => (typeof segment === "number" ? 0 : i === 1 && RESOURCES.has(String(path[0])) ? "*" : segment)));
  let kinds = KINDS.get(shape);
  if (kinds === undefined) {
    if (KINDS.size > 10_000) KINDS.clear();
    KINDS.set(shape, (kinds = kindsAt(composeFileSchema, path, 0)));
  }
  return kinds;
}

const RESOURCES = new Set(["services", "networks", "volumes", "secrets", "configs"]);

/** Paths deeper than this are not Compose keys anyone writes; nothing is converted there. */
const MAX_DEPTH = 16;

function kindsAt(schema: z.core.$ZodType, path: DocPath, depth: number): Set<Kind> {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  if (depth > MAX_DEPTH) return new Set();
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      return kindsAt(def["innerType"] as z.core.$ZodType, path, depth + 1);
    case "pipe":
      return kindsAt(def["in"] as z.core.$ZodType, path, depth + 1);
    case "union":
      return union((def["options"] as z.core.$ZodType[]).map((o) => kindsAt(o, path, depth + 1)));
    default:
      return path.length === 0 ? leafKinds(def) : childKinds(def, path, depth);
  }
}

function childKinds(def: Record<string, unknown> & { type: string }, path: DocPath, depth: number): Set<Kind> {
  const [head, ...rest] = path;
  if (def.type === "object" && typeof head === "string") {
    const shape = def["shape"] as Record<string, z.core.$ZodType>;
    return Object.hasOwn(shape, head) ? kindsAt(shape[head] as z.core.$ZodType, rest, depth + 1) : new Set();
  }
  if (def.type === "record" && typeof head === "string") return kindsAt(def["valueType"] as z.core.$ZodType, rest, depth + 1);
  if (def.type === "array" && typeof head === "number") return kindsAt(def["element"] as z.core.$ZodType, rest, depth + 1);
  return new Set();
}

function leafKinds(def: Record<string, unknown> & { type: string }): Set<Kind> {
  if (def.type === "string" || def.type === "number" || def.type === "boolean") return new Set([def.type]);
  if (def.type === "enum") return new Set(Object.values(def["entries"] as Record<string, unknown>).map(kindOf));
  if (def.type === "literal") return new Set((def["values"] as unknown[]).map(kindOf));
  return new Set();
}

function kindOf(value: unknown): Kind {
  return typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string";
}

function union(sets: Set<Kind>[]): Set<Kind> {
  return new Set(sets.flatMap((s) => [...s]));
}
