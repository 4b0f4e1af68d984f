import fc from "fast-check";
import { describe, it } from "vitest";
import { stringify } from "yaml";
import { ManifestInvalidError } from "../../src/errors.js";
import { loadStacks, type ManifestFile } from "../../src/manifest/index.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { applyEdits } from "./helpers/text-edits.js";

/** Keys that matter to gitdock, keys it refuses, and keys that trip naive JavaScript. */
const KEYS = [
  "image",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "volumes",
  "networks",
  "labels",
  "restart",
  "healthcheck",
  "test",
  "user",
  "network_mode",
  "depends_on",
  "deploy",
  "replicas",
  "resources",
  "limits",
  "memory",
  "cpus",
  "update_config",
  "order",
  "extra_hosts",
  "ulimits",
  "soft",
  "hard",
  "tmpfs",
  "x-gitdock",
  "probe",
  "http",
  "tcp",
  "port",
  "target",
  "source",
  "type",
  "published",
  "external",
  "name",
  "aliases",
  "condition",
  "build",
  "x-note",
  "<<",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "0",
  "",
];

const LEAVES = [
  IMAGE,
  "nginx:1.27",
  "8080:80",
  "80-81:80-82",
  "127.0.0.1::80/udp",
  "data:/data",
  "./rel:/x",
  "/abs:/x:ro",
  "${X}",
  "$$X",
  "$",
  "10s",
  "1m30s",
  "bogus",
  "512m",
  "service:db",
  "service:web",
  "host",
  "web",
  "db",
  "volume",
  "bind",
  "tmpfs",
  "CMD",
  "CMD-SHELL",
  "NONE",
  "KEY=VAL",
  "KEY",
  "on-failure:3",
  "start-first",
  "a\u0000b",
  "é",
  "",
];

const leaf = fc.oneof(
  fc.constantFrom(...LEAVES),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

const { node } = fc.letrec((tie) => ({
  node: fc.oneof(
    // Small trees: the YAML parser's time grows with the text, and 3000 runs should take seconds.
    { depthSize: "xsmall", maxDepth: 4, withCrossShrink: true },
    leaf,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("node"), { maxKeys: 4 }),
  ),
}));

const service = fc.dictionary(fc.constantFrom(...KEYS), node, { maxKeys: 6 }).map((s) => ({ image: IMAGE, ...s }));

const composeDoc = fc.record(
  {
    name: fc.oneof(fc.constantFrom("shop", "Bad Name", "a-b"), leaf),
    services: fc.oneof(fc.dictionary(fc.constantFrom("web", "db", "a-b", "b", "x y", "__proto__"), service, { maxKeys: 3 }), node),
    networks: node,
    volumes: node,
    "x-anchor": node,
  },
  { requiredKeys: ["services"] },
);

/** Text a person might have half-typed: random edits of a generated document. */
const edit = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 4 }),
  insert: fc.oneof(
    fc.constantFrom(":", "- ", "[", "]", "{", "}", "&a ", "*a", "<<: *a\n", "\n  ", "\t", "'", '"', "#", "---\n", "!!set ", "? "),
    fc.string({ maxLength: 3 }),
  ),
});

const TEMPLATE = `x-base: &base\n  restart: always\n  labels: {a: b}\nservices:\n  web:\n    <<: *base\n    image: ${IMAGE}\n    ports: ["8080:80"]\n    depends_on: [db]\n  db:\n    image: ${IMAGE}\n    volumes: [data:/d]\nvolumes:\n  data:\n`;

const content = fc.oneof(
  composeDoc.map((d) => stringify(d)),
  fc.tuple(composeDoc, fc.array(edit, { maxLength: 3 })).map(([d, edits]) => applyEdits(stringify(d), edits)),
  fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => applyEdits(TEMPLATE, edits)),
  fc.string({ maxLength: 80 }),
  fc.anything().map((v) => stringify(v) ?? ""),
);

const file = fc.record({
  path: fc.constantFrom("stacks/a/compose.yaml", "stacks/b/compose.yml", "stacks/a-b/compose.yaml", "stacks/compose.yaml", "compose.yaml"),
  content,
});

/** Mostly one file; sometimes several, for the rules that compare files. */
const files = fc.oneof({ weight: 4, arbitrary: fc.tuple(file) }, { weight: 1, arbitrary: fc.array(file, { minLength: 2, maxLength: 3 }) });

function isPosition(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}

describe("manifest: property: any input gives stacks or located problems", () => {
  it("never throws anything but ManifestInvalidError, and every problem is located", () => {
    fc.assert(
      fc.property(files, fc.constantFrom("stacks", ""), (list: ManifestFile[], root: string) => {
        try {
          return Array.isArray(loadStacks(list, { root }));
        } catch (err) {
          if (!(err instanceof ManifestInvalidError)) throw err;
          const paths = list.map((f) => f.path);
          // Plain checks rather than expect(): this runs thousands of times.
          const bad = err.problems.filter((p) => !(isPosition(p.line) && isPosition(p.col) && p.message.length > 0 && paths.includes(p.file)));
          if (err.problems.length === 0 || bad.length > 0) throw new Error(`badly located problems: ${JSON.stringify(bad)}`, { cause: err });
          return true;
        }
      }),
      { numRuns: 2000 },
    );
  }, 60_000);
});
