import type { DocPath } from "../format-path.js";
import type { ProblemSink } from "../problems.js";

export const INTERPOLATION_MESSAGE =
  "variable interpolation (${VAR}) is not supported; write the value, or use env_file for host-specific values";

const STARTS_VARIABLE = /[{A-Za-z_]/;

interface Walk {
  problems: ProblemSink;
  /** Aliases make the value a graph: copy each shared node once, and report its problems once. */
  copies: Map<object, unknown>;
  open: Set<object>;
}

/**
 * gitdock runs unattended from Git, so a value that depends on whoever's shell runs it has no
 * meaning. Reports every `${VAR}` and `$VAR` in a string and returns a copy of the document in
 * which Compose's `$$` escape has become a literal `$`.
 */
export function refuseInterpolation(data: unknown, problems: ProblemSink): unknown {
  return copy(data, [], { problems, copies: new Map(), open: new Set() });
}

function copy(value: unknown, path: DocPath, walk: Walk): unknown {
  if (typeof value === "string") return unescape(value, path, walk.problems);
  if (value === null || typeof value !== "object") return value;
  const done = walk.copies.get(value);
  if (done !== undefined) return done;
  if (walk.open.has(value)) {
    walk.problems.report(path, "a YAML alias refers to a node that contains it; recursive structures are not supported");
    return null;
  }
  walk.open.add(value);
  const out = Array.isArray(value) ? value.map((v, i) => copy(v, [...path, i], walk)) : copyObject(value, path, walk);
  walk.open.delete(value);
  walk.copies.set(value, out);
  return out;
}

function copyObject(value: object, path: DocPath, walk: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // defineProperty, so a key named `__proto__` stays data instead of replacing the prototype.
    Object.defineProperty(out, key, { value: copy(v, [...path, key], walk), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function unescape(text: string, path: DocPath, problems: ProblemSink): string {
  if (!text.includes("$")) return text;
  let out = "";
  let interpolates = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === "$" && next === "$") i++;
    else if (ch === "$" && next !== undefined && STARTS_VARIABLE.test(next)) interpolates = true;
    out += ch;
  }
  if (interpolates) problems.report(path, INTERPOLATION_MESSAGE);
  return out;
}
