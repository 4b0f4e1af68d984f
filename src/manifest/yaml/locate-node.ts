import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";
import type { DocPath } from "../format-path.js";
import type { Locator } from "../problems.js";

/** Merge keys can nest and anchors can refer to themselves; deeper than this we stop looking. */
const MAX_HOPS = 64;

interface Step {
  key: Node | undefined;
  value: Node | undefined;
}

/**
 * Maps a document path to a line and column. Paths come from the JavaScript value, so the walk
 * follows what `toJS` did: aliases resolve to their anchors and `<<` merge keys contribute the keys
 * of the mappings they name. When a path does not exist (a missing key) the position is that of
 * the deepest part that does: the parent mapping's key.
 */
export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  return (path, at) => lineCounter.linePos(findOffset(doc, path, at));
}

function findOffset(doc: Document, path: DocPath, at: "key" | "value"): number {
  let node = doc.contents ?? undefined;
  let fallback = startOf(node) ?? 0;
  for (const [i, segment] of path.entries()) {
    const step = childOf(doc, node, segment);
    if (step === undefined) return fallback;
    const keyStart = startOf(step.key);
    const valueStart = nonEmptyStartOf(step.value);
    if (i === path.length - 1) {
      const preferred = at === "key" ? (keyStart ?? valueStart) : (valueStart ?? keyStart);
      return preferred ?? fallback;
    }
    fallback = keyStart ?? valueStart ?? fallback;
    node = step.value;
  }
  return fallback;
}

function childOf(doc: Document, parent: Node | undefined, segment: string | number): Step | undefined {
  const node = resolve(doc, parent);
  if (isSeq(node) && typeof segment === "number") {
    const item = node.items[segment];
    return isNode(item) ? { key: undefined, value: item } : undefined;
  }
  if (isMap(node)) {
    const pair = findPair(doc, node.items, String(segment), 0);
    return pair && { key: asNode(pair.key), value: asNode(pair.value) };
  }
  return undefined;
}

/** Explicit keys win over merged ones, and earlier merge sources over later ones, as in YAML. */
function findPair(doc: Document, pairs: Pair[], key: string, depth: number): Pair | undefined {
  if (depth > MAX_HOPS) return undefined;
  const direct = pairs.find((p) => !isMergeKey(p) && keyText(p.key) === key);
  if (direct) return direct;
  for (const merge of pairs.filter(isMergeKey)) {
    const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      const map = resolve(doc, asNode(source));
      const found = isMap(map) ? findPair(doc, map.items, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function resolve(doc: Document, node: Node | undefined): Node | undefined {
  let current = node;
  for (let hops = 0; isAlias(current) && hops < MAX_HOPS; hops++) current = current.resolve(doc);
  return isAlias(current) ? undefined : current;
}

function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && (typeof pair.key.value === "symbol" || pair.key.source === "<<");
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

function asNode(value: unknown): Node | undefined {
  return isNode(value) ? value : undefined;
}

function startOf(node: Node | undefined): number | undefined {
  return node?.range?.[0];
}

/** `key:` with nothing after it parses as an empty null scalar; point at the key instead. */
function nonEmptyStartOf(node: Node | undefined): number | undefined {
  const range = node?.range;
  if (!range || (isScalar(node) && node.value === null && range[0] === range[1])) return undefined;
  return range[0];
}

/** The node written at `path`, through aliases and merge keys as `toJS` went; undefined when there is none. */
export function nodeAt(doc: Document, path: DocPath): Node | undefined {
  let node: Node | undefined = doc.contents ?? undefined;
  for (const segment of path) {
    const step = childOf(doc, node, segment);
    if (step === undefined) return undefined;
    node = step.value;
  }
  return resolve(doc, node);
}
