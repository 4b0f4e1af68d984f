import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";
import type { DocPath } from "../format-path.js";
import type { Locator, Position } from "../problems.js";

/** Merge keys can nest and anchors can refer to themselves; deeper than this we stop looking. */
const MAX_HOPS = 64;

interface Step {
  key: Node | undefined;
  value: Node | undefined;
}

/** Where a document path is written, and what was written there. */
export interface WrittenPlace {
  pos: Position;
  /** The path of the text itself: different from the path asked for when an alias or `<<` led there. */
  written: DocPath;
  /** The anchor the text is under (`&defaults`), when an alias led there. */
  anchor: string | undefined;
}

export type Placer = (path: DocPath, at: "key" | "value") => WrittenPlace;

/**
 * Maps a document path to a line and column. Paths come from the JavaScript value, so the walk
 * follows what `toJS` did: aliases resolve to their anchors and `<<` merge keys contribute the keys
 * of the mappings they name. When a path does not exist (a missing key) the position is that of
 * the deepest part that does: the parent mapping's key.
 */
export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  const place = createPlacer(doc, lineCounter);
  return (path, at) => place(path, at).pos;
}

/** `createLocator`, plus where the text sits in the document as written (for problems under an anchor). */
export function createPlacer(doc: Document, lineCounter: LineCounter): Placer {
  let written: Map<Node, DocPath> | undefined;
  return (path, at) => {
    const found = findNode(doc, path, at);
    written ??= writtenPaths(doc);
    const writtenPath = (found.node && written.get(found.node)) ?? path.slice(0, found.depth);
    return { pos: lineCounter.linePos(found.offset), written: writtenPath, anchor: found.viaAlias ? anchorOver(doc, writtenPath) : undefined };
  };
}

interface Found {
  offset: number;
  /** The node the offset belongs to (the value, or the pair's key for `at: "key"`'s parent). */
  node: Node | undefined;
  /** How many segments of the path exist. */
  depth: number;
  viaAlias: boolean;
}

function findNode(doc: Document, path: DocPath, at: "key" | "value"): Found {
  let node = doc.contents ?? undefined;
  let found: Found = { offset: startOf(node) ?? 0, node, depth: 0, viaAlias: false };
  let viaAlias = false;
  for (const [i, segment] of path.entries()) {
    const resolved = resolve(doc, node);
    viaAlias ||= resolved !== node || isMergedKey(doc, resolved, segment);
    const step = childOf(doc, resolved, segment);
    if (step === undefined) return found;
    const keyStart = startOf(step.key);
    const valueStart = nonEmptyStartOf(step.value);
    if (i === path.length - 1) {
      const preferred = at === "key" ? (keyStart ?? valueStart) : (valueStart ?? keyStart);
      return { offset: preferred ?? found.offset, node: step.value ?? resolved, depth: i + 1, viaAlias };
    }
    found = { offset: keyStart ?? valueStart ?? found.offset, node: step.value, depth: i + 1, viaAlias };
    node = step.value;
  }
  return found;
}

function childOf(doc: Document, node: Node | undefined, segment: string | number): Step | undefined {
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

/** True when `segment` of this mapping comes from a `<<` merge key, not from the mapping itself. */
function isMergedKey(doc: Document, node: Node | undefined, segment: string | number): boolean {
  if (!isMap(node)) return false;
  const key = String(segment);
  return !node.items.some((p) => !isMergeKey(p) && keyText(p.key) === key) && findPair(doc, node.items, key, 0) !== undefined;
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

/** Every node's path in the document as written (aliases not followed). */
function writtenPaths(doc: Document): Map<Node, DocPath> {
  const paths = new Map<Node, DocPath>();
  const stack: [Node | undefined, DocPath][] = [[doc.contents ?? undefined, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [Node | undefined, DocPath];
    if (node === undefined || paths.has(node)) continue;
    paths.set(node, path);
    if (isSeq(node)) node.items.forEach((item, i) => isNode(item) && stack.push([item, [...path, i]]));
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key !== undefined && isNode(pair.value)) stack.push([pair.value, [...path, key]]);
      }
    }
  }
  return paths;
}

/** The innermost anchor on the way to `path` in the written document. */
function anchorOver(doc: Document, path: DocPath): string | undefined {
  let node: Node | undefined = doc.contents ?? undefined;
  let anchor = node?.anchor;
  for (const segment of path) {
    const step = isMap(node) ? node.items.find((p) => !isMergeKey(p) && keyText(p.key) === String(segment)) : undefined;
    const next = isSeq(node) && typeof segment === "number" ? node.items[segment] : step?.value;
    node = isNode(next) ? next : undefined;
    if (node?.anchor) anchor = node.anchor;
  }
  return anchor;
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
