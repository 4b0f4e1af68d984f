import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * ARCHITECTURE.md's "Layers" list, checked against every import in src/ (`npm run layers`, part of
 * `npm run check`). The list is the rule: each numbered line is a layer of entries (a folder
 * `name/` or a file `name.ts`, relative to src/); a file belongs to the most specific entry that
 * holds it; it may import its own entry and entries of lower layers, and in the first layer only,
 * the other entries of its layer.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "src");

interface Layering {
  /** Entry → layer number (1 = lowest). */
  layerOf: Map<string, number>;
}

/** The numbered lines under `## Layers`; the entries are the backquoted names before the dash. */
function readLayers(markdown: string): Layering {
  const section = /^## Layers\n([\s\S]*?)(?=^## )/m.exec(markdown)?.[1] ?? "";
  const layerOf = new Map<string, number>();
  for (const line of section.split("\n")) {
    const m = /^(\d+)\. (.*)$/.exec(line);
    if (!m) continue;
    const names = (m[2] ?? "").split(" — ")[0] ?? "";
    for (const [, entry] of names.matchAll(/`([^`]+)`/g)) layerOf.set(entry ?? "", Number(m[1]));
  }
  return { layerOf };
}

/** The entry a file under src/ belongs to: a file listed by name, else the longest listed folder holding it. */
function entryOf(file: string, layering: Layering): string | undefined {
  if (layering.layerOf.has(file)) return file;
  const folders = [...layering.layerOf.keys()].filter((e) => e.endsWith("/") && file.startsWith(e));
  return folders.sort((a, b) => b.length - a.length)[0];
}

interface Import {
  from: string;
  to: string;
}

/** Every relative import of a file (static, `export ... from`, dynamic `import()`), as paths under src/ ending in .ts. */
function importsOf(file: string, text: string): Import[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1] ?? "");
  return specifiers.map((spec) => ({ from: file, to: posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, ".ts") }));
}

/** The imports that break the layering, as `from → to (layer a imports layer b)`. */
function violations(imports: readonly Import[], layering: Layering): string[] {
  return imports.flatMap(({ from, to }) => {
    const a = entryOf(from, layering);
    const b = entryOf(to, layering);
    if (a === undefined || b === undefined) return [`${from} → ${to}: not in ARCHITECTURE.md's layers`];
    if (a === b) return [];
    const la = layering.layerOf.get(a) ?? 0;
    const lb = layering.layerOf.get(b) ?? 0;
    if (lb < la || (lb === la && la === 1)) return [];
    return [`${from} → ${to}: ${a} (layer ${la}) may not import ${b} (layer ${lb})`];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [relative(SRC, path).split("\\").join("/")] : [];
  });
}

const layering = readLayers(readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8"));
const files = sourceFiles(SRC);

describe("ARCHITECTURE.md's layers", () => {
  it("place every file of src/, and list nothing that is not there", () => {
    expect(layering.layerOf.size).toBeGreaterThan(10);
    expect(files.filter((f) => entryOf(f, layering) === undefined)).toEqual([]);
    for (const entry of layering.layerOf.keys()) {
      const exists = entry.endsWith("/") ? files.some((f) => f.startsWith(entry)) : files.includes(entry);
      expect(exists, `${entry} is listed but not in src/`).toBe(true);
    }
  });

  it("hold for every import in src/: no folder imports its own layer's other folders or a layer above", () => {
    const imports = files.flatMap((file) => importsOf(file, readFileSync(join(SRC, file), "utf8")));
    expect(imports.length).toBeGreaterThan(1000);
    expect(violations(imports, layering)).toEqual([]);
  });

  it("catch an import upward, one within a layer, and one into a file that is not listed", () => {
    const sample = readLayers(
      ["## Layers", "", "1. `errors.ts`, `config/defaults.ts` — core", "2. `plan/`, `manifest/`", "3. `config/`", "", "## Next", ""].join("\n"),
    );
    const found = violations(
      [
        ...importsOf("plan/plan.ts", 'import { x } from "../errors.js";'),
        ...importsOf("manifest/load/a.ts", 'import { CONFIG_DEFAULTS } from "../../config/defaults.js";'),
        ...importsOf("config/defaults.ts", 'export { y } from "./settings.js";'),
        ...importsOf("plan/plan.ts", 'const m = await import("../manifest/index.js");'),
        ...importsOf("errors.ts", 'import type { Z } from "./somewhere/else.js";'),
      ],
      sample,
    );
    expect(found).toEqual([
      "config/defaults.ts → config/settings.ts: config/defaults.ts (layer 1) may not import config/ (layer 3)",
      "plan/plan.ts → manifest/index.ts: plan/ (layer 2) may not import manifest/ (layer 2)",
      "errors.ts → somewhere/else.ts: not in ARCHITECTURE.md's layers",
    ]);
  });
});
