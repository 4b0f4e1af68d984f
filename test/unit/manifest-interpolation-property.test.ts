/**
 * Interpolation against Compose's documented semantics (the Compose Specification,
 * "Interpolation"), property-based: templates are generated as syntax trees, rendered to text,
 * and the result of `interpolateTemplate` on the text is compared with an evaluation of the tree
 * written here from the documentation alone.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpolateTemplate } from "../../src/manifest/interpolate/template.js";
import { runs } from "./helpers/fuzz-runs.js";

type Op = ":-" | "-" | ":?" | "?" | ":+" | "+";
type Node = { lit: string } | { esc: true } | { ref: string; braced: boolean } | { op: Op; name: string; operand: Node[] };

const NAMES = ["A", "B", "c_1", "_x"];
/** Literal text: no `$` except where it starts nothing (`$1`, `$ `), no braces (operands end at `}`). */
const literal = fc
  .array(fc.constantFrom("a", "b", "-", ":", "/", " ", "1", "?", "+", ".", "=", "$1", "$ ", "é"), { minLength: 1, maxLength: 4 })
  .map((parts) => ({ lit: parts.join("") }));
const name = fc.constantFrom(...NAMES);

const tree = fc.letrec<{ nodes: Node[]; node: Node }>((tie) => ({
  nodes: fc.array(tie("node"), { maxLength: 4 }),
  node: fc.oneof(
    { weight: 4, arbitrary: literal },
    { weight: 1, arbitrary: fc.constant<Node>({ esc: true }) },
    { weight: 3, arbitrary: fc.record({ ref: name, braced: fc.boolean() }) },
    {
      weight: 3,
      depthSize: "small",
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- letrec's `tie` is untyped; the cast gives the record its type
      arbitrary: fc.record({ op: fc.constantFrom<Op>(":-", "-", ":?", "?", ":+", "+"), name, operand: tie("nodes") as fc.Arbitrary<Node[]> }),
    },
  ),
})).nodes;

/** Each name unset, empty, or set; values may hold `$`, which is never interpolated again. */
const environment = fc.record(Object.fromEntries(NAMES.map((n) => [n, fc.constantFrom(undefined, "", "v", "x y", "a$b", "${A}")])));

function render(nodes: Node[]): string {
  let out = "";
  nodes.forEach((node, i) => {
    if ("lit" in node) out += node.lit;
    else if ("esc" in node) out += "$$";
    else if ("ref" in node) {
      // `$A` followed by a name character would read as a longer name: write it braced then.
      const next = nodes[i + 1];
      const glued = next !== undefined && "lit" in next && /^[A-Za-z0-9_]/.test(next.lit);
      out += node.braced || glued ? `\${${node.ref}}` : `$${node.ref}`;
    } else out += `\${${node.name}${node.op}${render(node.operand)}}`;
  });
  return out;
}

/** The documentation's meaning: a failure anywhere that is evaluated fails the whole string. */
function evaluate(nodes: Node[], env: Record<string, string | undefined>): string | undefined {
  let out = "";
  for (const node of nodes) {
    const part = evaluateOne(node, env);
    if (part === undefined) return undefined;
    out += part;
  }
  return out;
}

function evaluateOne(node: Node, env: Record<string, string | undefined>): string | undefined {
  if ("lit" in node) return node.lit;
  if ("esc" in node) return "$";
  if ("ref" in node) return env[node.ref]; // unset with no default: gitdock refuses (Compose would use "")
  const value = env[node.name];
  const unset = value === undefined;
  const emptyOrUnset = unset || value === "";
  switch (node.op) {
    case ":-":
      return emptyOrUnset ? evaluate(node.operand, env) : value;
    case "-":
      return unset ? evaluate(node.operand, env) : value;
    case ":?":
      return emptyOrUnset ? undefined : value;
    case "?":
      return unset ? undefined : value;
    case ":+":
      return emptyOrUnset ? "" : evaluate(node.operand, env);
    case "+":
      return unset ? "" : evaluate(node.operand, env);
  }
}

describe("interpolation: Compose's documented semantics (property)", () => {
  it("gives what the documentation says, or fails exactly when it says it fails", () => {
    fc.assert(
      fc.property(tree, environment, (nodes, env) => {
        const text = render(nodes);
        const result = interpolateTemplate(text, (n) => env[n]);
        const expected = evaluate(nodes, env);
        expect(result.text).toBe(expected);
        expect(result.failures.length > 0).toBe(expected === undefined);
        expect(result.failures.every((f) => f.kind !== "syntax")).toBe(true);
      }),
      { numRuns: runs(3000) },
    );
  });

  it("turns text with every $ doubled back into itself, looking nothing up", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const result = interpolateTemplate(text.split("$").join("$$"), () => {
          throw new Error("looked up a variable");
        });
        expect(result.text).toBe(text);
      }),
      { numRuns: runs(2000) },
    );
  });

  it("never throws on arbitrary text, and reports what it cannot read as a failure", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: fc.constantFrom("$", "{", "}", ":", "-", "?", "+", "A", "1", " ") }), (text) => {
        const result = interpolateTemplate(text, (n) => (n === "A" ? "x" : undefined));
        expect(result.text === undefined).toBe(result.failures.length > 0);
      }),
      { numRuns: runs(3000) },
    );
  });
});
