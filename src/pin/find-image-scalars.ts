import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Document, type Node, type Scalar } from "yaml";
import { formatPath } from "../manifest/format-path.js";

/** One `image:` value as written in the file (once, however many services share it through an anchor). */
export interface ImageScalar {
  node: Scalar;
  value: string;
  /** Where it is written, e.g. `services.web.image` or `x-defaults.image` for an anchored one. */
  path: string;
  /** The services that use it, in file order. */
  services: string[];
}

/** How deep `<<:` merges may nest before the search gives up (real files nest one or two). */
const MAX_MERGE_DEPTH = 16;

/**
 * The string scalars that are some service's `image`, following what Compose follows: aliases
 * (`image: *img`), merge keys (`<<: *defaults`, `<<: [*a, *b]`), with keys written in the service
 * winning over merged ones and earlier merges over later ones. Values of another type are left to
 * `gitdock validate`.
 */
export function findImageScalars(doc: Document): ImageScalar[] {
  const found = new Map<Scalar, ImageScalar>();
  const services = lookUp(doc, deref(doc, doc.contents), "services", 0);
  if (!isMap(services)) return [];
  const paths = writtenPaths(doc);
  for (const pair of services.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const image = name === undefined ? undefined : lookUp(doc, deref(doc, pair.value as Node | null), "image", 0);
    if (name === undefined || !isScalar(image) || typeof image.value !== "string") continue;
    const entry = found.get(image) ?? { node: image, value: image.value, path: paths.get(image) ?? formatPath(["services", name, "image"]), services: [] };
    entry.services.push(name);
    found.set(image, entry);
  }
  return [...found.values()];
}

function lookUp(doc: Document, node: Node | null | undefined, key: string, depth: number): Node | null | undefined {
  if (!isMap(node) || depth > MAX_MERGE_DEPTH) return undefined;
  const own = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (own) return deref(doc, own.value as Node | null);
  for (const pair of node.items) {
    if (!isMergeKey(pair.key)) continue;
    const merged = deref(doc, pair.value as Node | null);
    const sources = isSeq(merged) ? merged.items.map((i) => deref(doc, i as Node | null)) : [merged];
    for (const source of sources) {
      const value = lookUp(doc, source, key, depth + 1);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

function deref(doc: Document, node: Node | null | undefined): Node | null | undefined {
  return isAlias(node) ? node.resolve(doc) : node;
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const value: unknown = key.value;
  return value === "<<" || (typeof value === "symbol" && value.description === "<<");
}

/** Every scalar's path in the document as written (aliases not followed). */
function writtenPaths(doc: Document): Map<Scalar, string> {
  const paths = new Map<Scalar, string>();
  visit(doc, {
    Scalar(_key, node, ancestors) {
      const path: (string | number)[] = [];
      const chain = [...ancestors, node];
      chain.forEach((a, i) => {
        if (isPair(a) && chain[i + 1] === a.value) path.push(isScalar(a.key) ? String(a.key.value) : "?");
        if (isSeq(a)) path.push(a.items.indexOf(chain[i + 1]));
      });
      paths.set(node, formatPath(path));
    },
  });
  return paths;
}
