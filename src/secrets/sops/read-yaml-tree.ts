import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node as YamlNode } from "yaml";
import type { SopsBranches, SopsComment, SopsLeaf, SopsList, SopsMap, SopsMapItem, SopsValue } from "./sops-tree.js";

/**
 * YAML (and JSON, a subset of it) as SOPS's YAML store reads it: each document a mapping, scalars
 * typed as YAML 1.2's core schema types them, aliases expanded, and comments kept as items before
 * the key they stand above (a value's own line comment too). Throws with a message when the
 * document is not one SOPS can hold.
 */
export function readYamlTree(text: string): SopsBranches {
  const docs = parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error("not YAML");
  return docs.map(documentBranch);
}

function documentBranch(doc: Document.Parsed): SopsMap {
  const error = doc.errors[0];
  if (error) throw new Error(error.message.split("\n")[0]);
  const items: SopsMapItem[] = [...comments(doc.commentBefore)];
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { kind: "map", items: [...items, ...comments(doc.comment)] };
  if (!isMap(root)) throw new Error("a SOPS document must be a mapping at the top level");
  items.push(...mapItems(root, doc));
  items.push(...comments(doc.comment));
  return { kind: "map", items };
}

function mapItems(node: YamlNode, doc: Document.Parsed): SopsMapItem[] {
  if (!isMap(node)) return [];
  const items: SopsMapItem[] = [...comments(node.commentBefore)];
  for (const pair of node.items) {
    const key = pair.key as YamlNode | null;
    const value = pair.value as YamlNode | null;
    if (!isScalar(key)) throw new Error("only scalar keys are supported");
    items.push(...comments(key.commentBefore), ...comments(key.comment));
    const scalarValue = value === null || isScalar(value) || isAlias(value);
    if (scalarValue && value) items.push(...comments(value.commentBefore), ...comments(value.comment));
    items.push({ key: String(key.value), value: valueOf(value, doc, !scalarValue) });
  }
  items.push(...comments(node.comment));
  return items;
}

function valueOf(node: YamlNode | null, doc: Document.Parsed, withComments: boolean): SopsValue {
  if (node === null) return { kind: "null" };
  if (isAlias(node)) return valueOf(node.resolve(doc) as YamlNode, doc, true);
  if (isMap(node)) {
    return { kind: "map", items: mapItems(node, doc) };
  }
  if (isSeq(node)) {
    const list: SopsList = { kind: "list", items: withComments ? [...comments(node.commentBefore)] : [] };
    for (const item of node.items as (YamlNode | null)[]) {
      if (item) list.items.push(...comments(item.commentBefore));
      if (item && (isScalar(item) || isAlias(item))) list.items.push(...comments(item.comment));
      list.items.push(valueOf(item, doc, false));
    }
    if (withComments) list.items.push(...comments(node.comment));
    return list;
  }
  if (isScalar(node)) return leafOf(node.value);
  throw new Error("unsupported YAML node");
}

function leafOf(value: unknown): SopsLeaf {
  if (value === null || value === undefined) return { kind: "null" };
  if (typeof value === "bigint") return { kind: "int", value };
  // A YAML float; an integer-valued one prints the same through either of ToBytes' number cases.
  if (typeof value === "number") return { kind: "float", value };
  if (typeof value === "boolean") return { kind: "bool", value };
  if (value instanceof Uint8Array) return { kind: "bytes", bytes: value };
  return { kind: "str", bytes: Buffer.from(String(value), "utf8") };
}

/** A YAML comment block as SOPS keeps it: one item per non-empty line, the text after `#`. */
function comments(text: string | null | undefined): SopsComment[] {
  if (!text) return [];
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => ({ kind: "comment", text: line }));
}
