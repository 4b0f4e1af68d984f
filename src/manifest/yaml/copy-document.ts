import type { DocPath } from "../format-path.js";
import type { ProblemSink } from "../problems.js";

interface Walk {
  problems: ProblemSink;
  /** Aliases make the value a graph: copy each shared node once, and report its problems once. */
  copies: Map<object, unknown>;
  open: Set<object>;
  recursive: boolean;
}

export interface DocumentCopy {
  data: unknown;
  /** False when a recursive alias was cut out: the rest would only produce follow-on problems. */
  complete: boolean;
}

/**
 * The document as a fresh tree of plain objects and arrays, ready for interpolation and the schema
 * (shared anchored nodes stay shared; interpolation makes each use its own copy):
 *  - a `__proto__` key is reported and dropped (zod skips such keys, so they would pass unchecked);
 *  - an alias to a node that contains it (which yaml turns into a cycle) is reported and cut out.
 */
export function copyDocument(data: unknown, problems: ProblemSink): DocumentCopy {
  const walk: Walk = { problems, copies: new Map(), open: new Set(), recursive: false };
  const copied = copy(data, [], walk);
  return { data: copied, complete: !walk.recursive };
}

function copy(value: unknown, path: DocPath, walk: Walk): unknown {
  if (value === null || typeof value !== "object") return value;
  const done = walk.copies.get(value);
  if (done !== undefined) return done;
  if (walk.open.has(value)) {
    walk.recursive = true;
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
    if (key === "__proto__") {
      walk.problems.report([...path, key], '"__proto__" cannot be used as a key', "key");
      continue;
    }
    out[key] = copy(v, [...path, key], walk);
  }
  return out;
}
