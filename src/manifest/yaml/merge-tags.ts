import { isMap, isScalar, isSeq, YAMLMap, YAMLSeq, type Document, type Node, type ScalarTag, type CollectionTag } from "yaml";
import type { DocPath } from "../format-path.js";

/**
 * Compose's merge tags (the Compose Specification, "Merge"): in an override file, `!reset` removes
 * what earlier files set for a key, and `!override` replaces it instead of merging. yaml is told
 * the tags exist, so it neither warns about them nor changes the value they mark; which paths
 * carry them is collected from the document, for the merge (merge/merge-documents.ts) to read.
 */
export type MergeTag = "reset" | "override";

const TAGS: Record<string, MergeTag> = { "!reset": "reset", "!override": "override" };

export const MERGE_TAGS: (ScalarTag | CollectionTag)[] = Object.keys(TAGS).flatMap((tag) => [
  { tag, identify: () => false, resolve: resolveScalar },
  { tag, collection: "map" as const, nodeClass: YAMLMap, identify: () => false },
  { tag, collection: "seq" as const, nodeClass: YAMLSeq, identify: () => false },
]);

/** A tagged plain scalar as YAML 1.2's core schema reads it: `!reset null` is null, `!override 3` is 3. */
function resolveScalar(text: string): unknown {
  if (/^(?:|~|null|Null|NULL)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(?:0|[1-9]\d*)$/.test(text)) return Number(text);
  if (/^[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** The paths (as written: aliases not followed) whose value carries `!reset` or `!override`. */
export function mergeTagsOf(doc: Document): Map<string, MergeTag> {
  const found = new Map<string, MergeTag>();
  const stack: [Node | undefined, DocPath][] = [[doc.contents ?? undefined, []]];
  let visited = 0;
  while (stack.length > 0 && visited++ < 1_000_000) {
    const [node, path] = stack.pop() as [Node | undefined, DocPath];
    const tag = node?.tag !== undefined && Object.hasOwn(TAGS, node.tag) ? TAGS[node.tag] : undefined;
    if (tag) found.set(pathKey(path), tag);
    if (isSeq(node)) node.items.forEach((item, i) => stack.push([item as Node, [...path, i]]));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key) && typeof pair.key.value !== "symbol" && pair.key.source !== "<<")
          stack.push([pair.value as Node, [...path, String(pair.key.value)]]);
      }
    }
  }
  return found;
}

/** A document path as a map key. */
export function pathKey(path: DocPath): string {
  return JSON.stringify(path);
}
