import { LineCounter, parseDocument, visit, type Alias, type Document, type YAMLError, type YAMLWarning } from "yaml";
import type { FileProblems } from "../problems.js";
import { expandedSize, expansionBudget, type ExpandedSize } from "./expanded-size.js";
import { createLocator } from "./locate-node.js";
import { MERGE_TAGS, mergeTagsOf, type MergeTag } from "./merge-tags.js";

/** Compose files are small; anything larger is a mistake or an attack, refused before parsing. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface YamlSource {
  doc: Document;
  lineCounter: LineCounter;
  /** The document as plain JavaScript: objects, arrays, strings, numbers, booleans, null. Anchored nodes are shared. */
  data: unknown;
  /** `!reset` / `!override` by the path (as written) they mark. */
  tags: Map<string, MergeTag>;
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
    // Compose's `!reset` and `!override`; any other tag is still refused.
    customTags: MERGE_TAGS,
  });
  problems.attach(createLocator(doc, lineCounter));
  const diagnostics: (YAMLError | YAMLWarning)[] = [...doc.errors, ...doc.warnings];
  for (const d of diagnostics) problems.reportAt(lineCounter.linePos(d.pos[0]), "", describeDiagnostic(d));
  if (diagnostics.length > 0) return undefined;
  const data = toJavaScript(doc, lineCounter, problems);
  if (data === undefined || !withinBudget(doc, bytes, data.value, problems)) return undefined;
  return { doc, lineCounter, data: data.value, tags: mergeTagsOf(doc) };
}

function toJavaScript(doc: Document, lineCounter: LineCounter, problems: FileProblems): { value: unknown } | undefined {
  try {
    // Anchors become shared objects, so this costs what the text does; the expanded size is judged next.
    return { value: doc.toJS({ maxAliasCount: -1 }) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    problems.reportAt(lineCounter.linePos(unresolvedAliasOffset(doc)), "", `invalid YAML: ${message}`);
    return undefined;
  }
}

/**
 * Alias bombs are judged by what the document becomes once its aliases are expanded, not by how
 * many aliases it has: a real file that merges `<<: *defaults` into a hundred services is fine, a
 * few lines that expand to millions of nodes are not.
 */
function withinBudget(doc: Document, bytes: number, data: unknown, problems: FileProblems): boolean {
  const own: ExpandedSize = { nodes: ownNodes(doc), bytes };
  const budget = expansionBudget(own);
  const expanded = expandedSize(data);
  if (expanded.nodes <= budget.nodes && expanded.bytes <= budget.bytes) return true;
  const what = expanded.nodes > budget.nodes ? `${expanded.nodes} nodes (limit ${budget.nodes})` : `${expanded.bytes} bytes of text (limit ${budget.bytes})`;
  problems.reportAt({ line: 1, col: 1 }, "", `its aliases expand to ${what}, more than 10 times the file itself; refusing what looks like a YAML alias bomb`);
  return false;
}

function ownNodes(doc: Document): number {
  let count = 0;
  visit(doc, {
    Node() {
      count++;
    },
    Pair() {
      count++;
    },
  });
  return count;
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
