/**
 * `gitdock pin`'s rewrite: only the image values change, byte for byte; comments, anchors, quoting,
 * flow maps and line endings stay. Digests come from a table here: the registry side is tested end
 * to end against the real registry (test/e2e/pin.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pinImages, type DigestLookup, type PinOutcome } from "../../src/pin/index.js";
import { runs } from "./helpers/fuzz-runs.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const OLD = `sha256:${"0".repeat(64)}`;

/** The registry as a table of `registry/repository:tag` → digest; anything else is a 404. */
function table(entries: Record<string, string>): DigestLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (ref: { registry: string; repository: string }, tag: string) => {
    const key = `${ref.registry}/${ref.repository}:${tag}`;
    asked.push(key);
    const digest = entries[key];
    if (!digest) throw new Error(`registry ${ref.registry} answered HTTP 404 MANIFEST_UNKNOWN for ${ref.repository}:${tag}`);
    return digest;
  };
  return Object.assign(lookup, { asked });
}

const REGISTRY = table({
  "docker.io/library/nginx:1.25": D1,
  "docker.io/library/redis:latest": D2,
  "ghcr.io/acme/web:2.0": D2,
  "127.0.0.1:5000/shop/api:v3": D1,
});

async function pin(text: string, opts = { check: false, update: false }, lookup: DigestLookup = REGISTRY): Promise<PinOutcome> {
  return pinImages([{ file: "compose.yaml", content: Buffer.from(text, "utf8") }], opts, lookup);
}

async function rewritten(text: string, opts = { check: false, update: false }): Promise<string> {
  const outcome = await pin(text, opts);
  expect(outcome.problems).toEqual([]);
  return outcome.writes.get("compose.yaml")?.toString("utf8") ?? text;
}

/** `text` with each `[from, to]` replaced once, at its first occurrence after the previous one: the only bytes allowed to change. */
function expectOnly(before: string, after: string, replacements: [string, string][]): void {
  let expected = "";
  let rest = before;
  for (const [from, to] of replacements) {
    const at = rest.indexOf(from);
    expect(at, `${from} in the original`).toBeGreaterThanOrEqual(0);
    expected += rest.slice(0, at) + to;
    rest = rest.slice(at + from.length);
  }
  expect(Buffer.from(after, "utf8").equals(Buffer.from(expected + rest, "utf8")), `byte diff:\n${before}\n---\n${after}`).toBe(true);
}

describe("gitdock pin rewrites only the image values", () => {
  it("keeps comments, blank lines and indentation around plain scalars", async () => {
    const before = [
      "# the shop",
      "name: shop   # project",
      "",
      "services:",
      "    web:",
      "        image: nginx:1.25    # front",
      "        ports: ['8080:80']",
      "    # the cache",
      "    cache:",
      "        image: redis",
      "",
    ].join("\n");
    const after = await rewritten(before);
    expectOnly(before, after, [
      ["nginx:1.25", `nginx:1.25@${D1}`],
      ["redis", `redis:latest@${D2}`],
    ]);
  });

  it("keeps each quoting style", async () => {
    const before = `services:\n  a:\n    image: "ghcr.io/acme/web:2.0"\n  b:\n    image: 'nginx:1.25'\n  c: {image: "127.0.0.1:5000/shop/api:v3"}\n`;
    const after = await rewritten(before);
    expectOnly(before, after, [
      ['"ghcr.io/acme/web:2.0"', `"ghcr.io/acme/web:2.0@${D2}"`],
      ["'nginx:1.25'", `'nginx:1.25@${D1}'`],
      ['"127.0.0.1:5000/shop/api:v3"', `"127.0.0.1:5000/shop/api:v3@${D1}"`],
    ]);
  });

  it("rewrites flow maps in place, keeping their spacing and the keys after the image", async () => {
    const before = `services:\n  web: { image: nginx:1.25 , restart: always }\n  api: {image: ghcr.io/acme/web:2.0,restart: "no"}\n`;
    const after = await rewritten(before);
    expectOnly(before, after, [
      ["nginx:1.25", `nginx:1.25@${D1}`],
      ["ghcr.io/acme/web:2.0", `ghcr.io/acme/web:2.0@${D2}`],
    ]);
  });

  it("pins an anchored image once, where it is written, keeping the anchor and the merges", async () => {
    const before = [
      "x-defaults: &defaults",
      "  image: &img ghcr.io/acme/web:2.0  # shared",
      "  restart: always",
      "services:",
      "  web:",
      "    <<: *defaults",
      "  worker:",
      "    <<: [*defaults]",
      "    command: work",
      "  side:",
      "    image: *img",
      "  own:",
      "    <<: *defaults",
      "    image: nginx:1.25   # its own wins over the merged one",
      "",
    ].join("\n");
    const outcome = await pin(before);
    expect(outcome.problems).toEqual([]);
    expect(outcome.changes.map((c) => [c.line, c.col, c.path])).toEqual([
      [2, 15, "x-defaults.image (services web, worker, side)"],
      [14, 12, "services.own.image"],
    ]);
    expectOnly(before, outcome.writes.get("compose.yaml")!.toString("utf8"), [
      ["ghcr.io/acme/web:2.0", `ghcr.io/acme/web:2.0@${D2}`],
      ["nginx:1.25", `nginx:1.25@${D1}`],
    ]);
  });

  it("keeps CRLF line endings", async () => {
    const before = "services:\r\n  web:\r\n    image: nginx:1.25 # crlf\r\n    restart: always\r\n  cache: { image: 'redis' }\r\n";
    const after = await rewritten(before);
    expectOnly(before, after, [
      ["nginx:1.25", `nginx:1.25@${D1}`],
      ["'redis'", `'redis:latest@${D2}'`],
    ]);
    expect(after.match(/\r\n/g)).toHaveLength(5);
    expect(after.replace(/\r\n/g, "")).not.toContain("\n");
  });

  it("keeps a byte order mark and text in other scripts", async () => {
    const before = '\uFEFFservices:\n  web:\n    image: nginx:1.25\n    labels: { note: "café — 日本" }\n';
    const after = await rewritten(before);
    expectOnly(before, after, [["nginx:1.25", `nginx:1.25@${D1}`]]);
  });

  it("leaves pinned references alone and moves them to the tag's digest only with --update", async () => {
    const before = `services:\n  web:\n    image: nginx:1.25@${OLD}\n  api:\n    image: ghcr.io/acme/web@${OLD}\n`;
    const lookup = table({ "docker.io/library/nginx:1.25": D1 });
    const plain = await pin(before, { check: false, update: false }, lookup);
    expect(plain.writes.size).toBe(0);
    expect(plain.unchanged).toBe(2);
    expect(lookup.asked).toEqual([]);

    const updated = await pin(before, { check: false, update: true }, lookup);
    expect(updated.problems).toEqual([]);
    expectOnly(before, updated.writes.get("compose.yaml")!.toString("utf8"), [[`nginx:1.25@${OLD}`, `nginx:1.25@${D1}`]]);
    expect(updated.notes.map((n) => [n.line, n.message])).toEqual([
      [5, `ghcr.io/acme/web@${OLD} has a digest but no tag, so --update has no tag to follow; left as written`],
    ]);
    expect(lookup.asked).toEqual(["docker.io/library/nginx:1.25"]);
  });

  it("leaves interpolated images with a note", async () => {
    const before = "services:\n  web:\n    image: ${REGISTRY:-ghcr.io}/acme/web:${TAG}\n  api:\n    image: nginx:1.25\n";
    const outcome = await pin(before);
    expect(outcome.notes).toEqual([
      expect.objectContaining({ line: 3, col: 12, path: "services.web.image", message: expect.stringMatching(/interpolation; left as written/) }),
    ]);
    expectOnly(before, outcome.writes.get("compose.yaml")!.toString("utf8"), [["nginx:1.25", `nginx:1.25@${D1}`]]);
  });

  it("asks the registry once per distinct tag", async () => {
    const lookup = table({ "docker.io/library/nginx:1.25": D1 });
    const before = "services:\n  a: { image: nginx:1.25 }\n  b: { image: docker.io/library/nginx:1.25 }\n  c: { image: nginx:1.25 }\n";
    const outcome = await pin(before, { check: false, update: false }, lookup);
    expect(lookup.asked).toEqual(["docker.io/library/nginx:1.25"]);
    expect(outcome.changes.map((c) => c.to)).toEqual([`nginx:1.25@${D1}`, `docker.io/library/nginx:1.25@${D1}`, `nginx:1.25@${D1}`]);
  });
});

describe("gitdock pin --check", () => {
  it("lists every unpinned reference at its position, without asking any registry", async () => {
    const lookup = table({});
    const before = `services:\n  web:\n    image: nginx:1.25\n  api:\n    image: ghcr.io/acme/web:2.0@${OLD}\n  db: { image: "postgres" }\n`;
    const outcome = await pin(before, { check: true, update: false }, lookup);
    expect(outcome.changes.map((c) => `${c.file}:${c.line}:${c.col}: ${c.path}: ${c.message}`)).toEqual([
      "compose.yaml:3:12: services.web.image: nginx:1.25 is not pinned by digest",
      "compose.yaml:6:16: services.db.image: postgres is not pinned by digest",
    ]);
    expect(outcome.unchanged).toBe(1);
    expect(outcome.writes.size).toBe(0);
    expect(lookup.asked).toEqual([]);
  });

  it("with --update also lists pinned references whose tag has moved, writing nothing", async () => {
    const before = `services:\n  web:\n    image: nginx:1.25@${OLD}\n  api:\n    image: ghcr.io/acme/web:2.0@${D2}\n`;
    const outcome = await pin(before, { check: true, update: true });
    expect(outcome.changes.map((c) => [c.line, c.message, c.to])).toEqual([
      [3, `nginx:1.25@${OLD} is not the current digest of nginx:1.25`, `nginx:1.25@${D1}`],
    ]);
    expect(outcome.unchanged).toBe(1);
    expect(outcome.writes.size).toBe(0);
  });
});

describe("gitdock pin writes nothing when anything fails", () => {
  it("reports every failed lookup and invalid reference at its position", async () => {
    const before = "services:\n  web:\n    image: nginx:1.25\n  gone:\n    image: ghcr.io/acme/gone:1\n  bad:\n    image: Not/Valid\n";
    const outcome = await pin(before);
    expect(outcome.writes.size).toBe(0);
    expect(outcome.problems.map((p) => [p.line, p.col, p.path, p.message])).toEqual([
      [5, 12, "services.gone.image", "ghcr.io/acme/gone:1: registry ghcr.io answered HTTP 404 MANIFEST_UNKNOWN for acme/gone:1"],
      [7, 12, "services.bad.image", '"Not/Valid" is not a valid image reference'],
    ]);
  });

  it("refuses a file with more than one document, or with broken YAML, at the place", async () => {
    const two = await pin("services:\n  web: { image: nginx:1.25 }\n---\nservices: {}\n");
    expect(two.writes.size).toBe(0);
    expect(two.problems).toEqual([expect.objectContaining({ line: 3, col: 1, message: expect.stringMatching(/exactly one YAML document/) })]);
    const broken = await pin("services:\n  web:\n    image: nginx:1.25\n   bad: [\n");
    expect(broken.writes.size).toBe(0);
    expect(broken.problems.length).toBeGreaterThan(0);
    expect(broken.problems[0]?.message).toMatch(/invalid YAML/);
  });

  it("refuses an image written as a block scalar rather than change its style", async () => {
    const outcome = await pin("services:\n  web:\n    image: >-\n      nginx:1.25\n");
    expect(outcome.writes.size).toBe(0);
    expect(outcome.problems).toEqual([
      expect.objectContaining({ line: 3, col: 12, path: "services.web.image", message: expect.stringMatching(/block scalar/) }),
    ]);
  });

  it("refuses a file that is not UTF-8 rather than re-encode it", async () => {
    const content = Buffer.concat([Buffer.from("services:\n  web:\n    image: nginx:1.25\n# "), Buffer.from([0xff, 0xfe]), Buffer.from("\n")]);
    const outcome = await pinImages([{ file: "latin.yaml", content }], { check: false, update: false }, REGISTRY);
    expect(outcome.writes.size).toBe(0);
    expect(outcome.problems).toEqual([expect.objectContaining({ file: "latin.yaml", message: expect.stringMatching(/not UTF-8/) })]);
  });
});

describe("gitdock pin's rewrite, on generated files", () => {
  const service = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
    image: fc.constantFrom("nginx:1.25", "redis", "ghcr.io/acme/web:2.0", "127.0.0.1:5000/shop/api:v3"),
    style: fc.constantFrom("plain", "single", "double"),
    flow: fc.boolean(),
    comment: fc.option(fc.stringMatching(/^[ -~]{0,20}$/), { nil: undefined }),
  });
  const quote = (image: string, style: string) => (style === "plain" ? image : style === "single" ? `'${image}'` : `"${image}"`);
  const pinnedAs: Record<string, string> = {
    "nginx:1.25": `nginx:1.25@${D1}`,
    redis: `redis:latest@${D2}`,
    "ghcr.io/acme/web:2.0": `ghcr.io/acme/web:2.0@${D2}`,
    "127.0.0.1:5000/shop/api:v3": `127.0.0.1:5000/shop/api:v3@${D1}`,
  };

  it("changes exactly the image values, whatever the styles, comments, indentation and line endings", async () => {
    const services = fc.uniqueArray(service, { minLength: 1, maxLength: 5, selector: (s) => s.name });
    await fc.assert(
      fc.asyncProperty(services, fc.integer({ min: 1, max: 4 }), fc.constantFrom("\n", "\r\n"), async (list, width, eol) => {
        const [one, two] = [" ".repeat(width), " ".repeat(2 * width)];
        const lines = ["# generated", "services:"];
        const replacements: [string, string][] = [];
        for (const s of list) {
          const written = quote(s.image, s.style);
          const comment = s.comment === undefined ? "" : ` # ${s.comment}`;
          if (s.flow) lines.push(`${one}${s.name}: { image: ${written}, restart: always }${comment}`);
          else lines.push(`${one}${s.name}:${comment}`, `${two}image: ${written}${comment}`, `${two}restart: always`);
          replacements.push([written, quote(pinnedAs[s.image]!, s.style)]);
        }
        const text = lines.join(eol) + eol;
        expectOnly(text, await rewritten(text), replacements);
      }),
      { numRuns: runs(200) },
    );
  });
});
