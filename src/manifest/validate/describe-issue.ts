import type { z } from "zod";

type RawIssue = z.core.$ZodRawIssue;

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  null: "nothing",
};

/**
 * Default wording for zod's issues, in YAML's vocabulary ("a mapping", "a list") and saying what
 * was found. Schemas that know better (ports, durations) carry their own messages, which win.
 */
export function describeIssue(issue: RawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "missing" : `expected ${expected(issue.expected)}, got ${describeValue(issue.input)}`;
    case "too_small":
      return tooSmall(issue.origin, issue.minimum, issue.inclusive);
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(issue.input)}`;
    case "invalid_format":
      return issue.format === "starts_with" ? `must start with "${String(issue["prefix"])}"` : `is not in the expected format`;
    case "invalid_union":
      return unionMessage(issue.errors, issue.input);
    default:
      return "invalid value";
  }
}

function tooSmall(origin: string, minimum: unknown, inclusive: boolean | undefined): string {
  if (origin === "array" || origin === "string") return "must not be empty";
  return inclusive === false ? `must be greater than ${String(minimum)}` : `must be at least ${String(minimum)}`;
}

/** "expected a list or a mapping": what each alternative wanted at the top. */
function unionMessage(branches: readonly (readonly z.core.$ZodIssue[])[], input: unknown): string {
  const wanted = new Set<string>();
  for (const issue of branches.flat()) {
    if (issue.code === "invalid_type" && issue.path.length === 0) wanted.add(expected(issue.expected));
  }
  const list = [...wanted];
  return list.length > 0 ? `expected ${list.join(" or ")}, got ${describeValue(input)}` : "does not match any allowed form";
}

function expected(type: string): string {
  return Object.hasOwn(EXPECTED, type) ? (EXPECTED[type] ?? type) : type;
}

export function describeValue(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number") return `the number ${value}`;
  return String(value);
}
