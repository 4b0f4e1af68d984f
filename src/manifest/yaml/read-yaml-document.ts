import { LineCounter, parseDocument, visit, type Alias, type Document, type YAMLError, type YAMLWarning } from "yaml";
import type { FileProblems } from "../problems.js";
import { createLocator } from "./locate-node.js";

/** Compose files are small; anything larger is a mistake or an attack, refused before parsing. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * How many alias expansions `toJS` may do (yaml's own measure, which weighs each alias by the size
 * of what it names). Shared `x-` defaults merged into every service stay far below it; a
 * "billion laughs" document hits it after a few hundred nodes instead of exhausting memory.
 */
export const MAX_ALIAS_COUNT = 100;

export interface YamlSource {
  doc: Document;
  lineCounter: LineCounter;
  /** The document as plain JavaScript: objects, arrays, strings, numbers, booleans, null. */
  data: unknown;
}

/** Parses one manifest. Every YAML error and warning becomes a problem; then there is no data. */
export function readYamlDocument(content: string, problems: FileProblems): YamlSource | undefined {
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > MAX_MANIFEST_BYTES) {
    problems.reportAt({ line: 1, col: 1 }, "", `file is ${bytes} bytes; manifests are limited to ${MAX_MANIFEST_BYTES} bytes`);
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // Compose files use `<<: *defaults`; YAML 1.2 only honours it when asked.
    merge: true,
    // Keys are names; `? [a, b]: x` would otherwise become the string "[ a, b ]" with a console warning.
    stringKeys: true,
    // `!!binary`, `!!set`, `!!omap` would become Buffers, Sets and Maps that no Compose key accepts.
    resolveKnownTags: false,
  });
  problems.attach(createLocator(doc, lineCounter));
  const diagnostics: (YAMLError | YAMLWarning)[] = [...doc.errors, ...doc.warnings];
  for (const d of diagnostics) problems.reportAt(lineCounter.linePos(d.pos[0]), "", describeDiagnostic(d));
  if (diagnostics.length > 0) return undefined;
  return toJavaScript(doc, lineCounter, problems);
}

function toJavaScript(doc: Document, lineCounter: LineCounter, problems: FileProblems): YamlSource | undefined {
  try {
    return { doc, lineCounter, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/alias count/i.test(message)) {
      const text = `too many alias expansions (limit ${MAX_ALIAS_COUNT}); refusing what looks like a YAML alias bomb`;
      problems.reportAt({ line: 1, col: 1 }, "", text);
    } else {
      problems.reportAt(lineCounter.linePos(unresolvedAliasOffset(doc)), "", `invalid YAML: ${message}`);
    }
    return undefined;
  }
}

function describeDiagnostic(d: YAMLError | YAMLWarning): string {
  if (d.code === "MULTIPLE_DOCS") {
    return "a compose file holds exactly one YAML document; remove the `---` separator or split the file";
  }
  return d.name === "YAMLWarning" ? `unsupported YAML: ${d.message}` : `invalid YAML: ${d.message}`;
}

/** `toJS` fails on an alias whose anchor comes later or not at all; point at that alias. */
function unresolvedAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node: Alias) {
      if (node.resolve(doc) !== undefined) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
