/**
 * The override merge against Compose's documented rules (the Compose Specification, "Merge"),
 * property-based: a compose file and an override file are generated, loaded through the whole
 * manifest stage, and the service that comes out is compared with what the rules say, computed
 * here without gitdock's merge code.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IMAGE, loadTree, repoTree } from "../fixtures/manifest/helpers.js";
import { runs } from "./helpers/fuzz-runs.js";

const OTHER_IMAGE = IMAGE.replace("nginx:1.27", "nginx:1.28");
const KEYS = ["A", "B", "C", "D"];

interface ServiceSketch {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  environmentAsList: boolean;
  labels?: Record<string, string>;
  ports?: string[];
  portsOverride: boolean;
  volumes?: string[];
  restart?: string;
}

const keyValues = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom("1", "two", "x=y", ""), { maxKeys: 4 });
const sketch = fc.record(
  {
    image: fc.constantFrom(IMAGE, OTHER_IMAGE),
    command: fc.array(fc.constantFrom("run", "--fast", "-v", "serve"), { minLength: 1, maxLength: 3 }),
    environment: keyValues,
    environmentAsList: fc.boolean(),
    labels: keyValues,
    ports: fc.uniqueArray(fc.constantFrom("80:80", "8080:80", "443:443", "9000:9000", "53:53/udp"), { maxLength: 3 }),
    portsOverride: fc.boolean(),
    volumes: fc.uniqueArray(fc.constantFrom("/srv/a:/data", "/srv/b:/data", "/srv/c:/cache", "/srv/d:/logs:ro"), {
      maxLength: 3,
      selector: (v) => v.split(":")[1],
    }),
    restart: fc.constantFrom("always", "no", "unless-stopped"),
  },
  { requiredKeys: ["environmentAsList", "portsOverride"] },
);

function render(s: ServiceSketch, tags: boolean): string {
  const lines = ["services:", "  web:"];
  if (s.image) lines.push(`    image: ${s.image}`);
  if (s.command) lines.push(`    command: ${JSON.stringify(s.command)}`);
  if (s.environment) {
    const env = s.environmentAsList ? Object.entries(s.environment).map(([k, v]) => `${k}=${v}`) : s.environment;
    lines.push(`    environment: ${JSON.stringify(env)}`);
  }
  if (s.labels) lines.push(`    labels: ${JSON.stringify(s.labels)}`);
  if (s.ports) lines.push(`    ports: ${tags && s.portsOverride ? "!override " : ""}${JSON.stringify(s.ports)}`);
  if (s.volumes) lines.push(`    volumes: ${JSON.stringify(s.volumes)}`);
  if (s.restart) lines.push(`    restart: ${s.restart}`);
  return `${lines.join("\n")}\n`;
}

/** A later entry with the same key replaces the earlier one where it stood; new ones are appended. */
function uniqueMerge(base: string[], over: string[], key: (s: string) => string): string[] {
  const out = [...base];
  for (const item of over) {
    const at = out.findIndex((x) => key(x) === key(item));
    if (at >= 0) out[at] = item;
    else out.push(item);
  }
  return out;
}

/** What the rules say the merged service is. */
function expected(base: ServiceSketch, over: ServiceSketch) {
  const ports = over.ports && over.portsOverride ? over.ports : uniqueMerge(base.ports ?? [], over.ports ?? [], (p) => p);
  return {
    image: over.image ?? base.image ?? IMAGE,
    command: over.command ?? base.command,
    environment: { ...base.environment, ...over.environment },
    labels: { ...base.labels, ...over.labels },
    ports: ports.map((p) => p.replace(/\/tcp$/, "")),
    volumes: uniqueMerge(base.volumes ?? [], over.volumes ?? [], (v) => v.split(":")[1] as string).map((v) => `${v.split(":")[0]}:${v.split(":")[1]}`),
    // "no" is Docker's default, which the model writes as no restart policy at all.
    restart: [over.restart ?? base.restart].map((r) => (r === "no" ? undefined : r))[0],
  };
}

describe("override merge: Compose's documented rules (property)", () => {
  it("merges mappings by key, replaces command and scalars, appends ports and volumes by their unique key, honours !override", () => {
    fc.assert(
      fc.property(sketch, sketch, (baseSketch, overSketch) => {
        const base = { ...baseSketch, image: baseSketch.image ?? IMAGE };
        const tree = repoTree({ "hosts/h/app/compose.yaml": render(base, false), "hosts/h/app/compose.override.yaml": render(overSketch, true) }, "hosts/h");
        const web = loadTree(tree).stacks[0]?.services[0];
        const want = expected(base, overSketch);
        expect(web?.container.image).toBe(want.image);
        expect(web?.container.command).toEqual(want.command);
        expect(web?.container.environment).toEqual(want.environment);
        expect(web?.container.labels).toEqual(want.labels);
        expect(web?.container.ports.map((p) => `${p.published}:${p.target}${p.protocol === "tcp" ? "" : `/${p.protocol}`}`)).toEqual(want.ports);
        expect(web?.container.mounts.map((m) => (m.type === "bind" ? `${m.source}:${m.target}` : m.target))).toEqual(want.volumes);
        expect(web?.container.restart).toBe(want.restart);
      }),
      { numRuns: runs(400) },
    );
  }, 120_000);

  it("changes nothing when the override file only repeats the compose file's settings (idempotent)", () => {
    fc.assert(
      fc.property(sketch, (s) => {
        const base = { ...s, image: s.image ?? IMAGE, portsOverride: false };
        const alone = loadTree(repoTree({ "hosts/h/app/compose.yaml": render(base, false) }, "hosts/h")).stacks;
        const twice = loadTree(
          repoTree({ "hosts/h/app/compose.yaml": render(base, false), "hosts/h/app/compose.override.yaml": render(base, true) }, "hosts/h"),
        ).stacks;
        expect(twice).toEqual(alone);
      }),
      { numRuns: runs(300) },
    );
  }, 120_000);
});
