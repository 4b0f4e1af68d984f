import type { JsonObject } from "./engine-request.js";

/**
 * How the policy treats one field of a request:
 *  - "free":    any value; it gives the container nothing beyond what a plain container has
 *               (a limit, a label, its own command);
 *  - "default": it must be unset or at the Engine's default; setting it is a violation;
 *  - "absent":  it must not be sent at all, not even empty (an empty MaskedPaths unmasks /proc);
 *  - a judge:   a rule that returns what is wrong with the value (empty when it is allowed).
 * A field a table does not list is unknown to the policy, and setting it is a violation too: a new
 * Engine feature is refused until someone decides what it means for the host.
 */
export type FieldRule<S> = "free" | "default" | "absent" | Judge<S>;

/** `field` is the dotted path of `value` in the request, for messages. */
export type Judge<S> = (value: unknown, field: string, scope: S) => Finding[];

export interface Finding {
  field: string;
  message: string;
}

export type FieldTable<S> = Readonly<Record<string, FieldRule<S>>>;

/** Every field of `object` against `table`: unknown fields, non-default "default" fields and judged ones. */
export function walkFields<S>(object: unknown, table: FieldTable<S>, prefix: string, scope: S): Finding[] {
  if (isUnset(object)) return [];
  if (!isObject(object)) return [{ field: prefix, message: `expected an object, got ${describe(object)}` }];
  const out: Finding[] = [];
  for (const [key, value] of Object.entries(object)) {
    const field = prefix ? `${prefix}.${key}` : key;
    const rule = Object.hasOwn(table, key) ? table[key] : undefined;
    if (rule === undefined) {
      if (!isEngineDefault(value))
        out.push({
          field,
          message: `${field} is set (${describe(value)}), and the host policy does not know this field: only the Engine's default is allowed`,
        });
    } else if (rule === "absent") {
      if (!isUnset(value)) out.push({ field, message: `${field} is set (${describe(value)}); the host policy allows only leaving it out` });
    } else if (rule === "default") {
      if (!isEngineDefault(value)) out.push({ field, message: `${field} is set (${describe(value)}); the host policy allows only the Engine's default` });
    } else if (rule !== "free" && !isUnset(value)) {
      out.push(...rule(value, field, scope));
    }
  }
  return out;
}

/** Each element of a list against one judge. */
export function eachItem<S>(judge: Judge<S>): Judge<S> {
  return (value, field, scope) => {
    if (!Array.isArray(value)) return [{ field, message: `${field}: expected a list, got ${describe(value)}` }];
    return value.flatMap((item, i) => judge(item, `${field}[${i}]`, scope));
  };
}

/** A nested object walked with its own table. */
export function nested<S>(table: FieldTable<S>): Judge<S> {
  return (value, field, scope) => walkFields(value, table, field, scope);
}

export function isUnset(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Unset, false, 0, "", an empty list or an object whose fields are all defaults. */
export function isEngineDefault(value: unknown): boolean {
  if (isUnset(value) || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.values(value).every(isEngineDefault);
  return false;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short, single-line rendering of a value for messages. */
export function describe(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function finding(field: string, message: string): Finding[] {
  return [{ field, message }];
}
