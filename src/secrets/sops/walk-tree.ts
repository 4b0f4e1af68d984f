import { isComment, type SopsBranches, type SopsComment, type SopsLeaf, type SopsList, type SopsMap, type SopsValue } from "./sops-tree.js";

/** What a visit sees: a leaf or comment, the keys leading to it, and the comments above it per level. */
export type LeafVisitor = (leaf: SopsLeaf | SopsComment, path: readonly string[], comments: readonly (readonly string[])[]) => SopsLeaf | SopsComment;

/**
 * Visits every leaf and comment of every document in order, as SOPS's walkBranch and walkSlice do,
 * and returns the tree with each replaced by what the visitor returns. Null values are not
 * visited (SOPS neither encrypts them nor counts them in the MAC); list items add nothing to the path.
 */
export function mapLeaves(branches: SopsBranches, visit: LeafVisitor): SopsBranches {
  return branches.map((b) => walkMap(b, [], [], visit));
}

function walkValue(value: SopsValue, path: readonly string[], comments: string[][], visit: LeafVisitor): SopsValue {
  if (value.kind === "map") return walkMap(value, path, comments, visit);
  if (value.kind === "list") return walkList(value, path, comments, visit);
  if (value.kind === "null") return value;
  return visit(value, path, comments) as SopsLeaf;
}

function walkMap(map: SopsMap, path: readonly string[], outer: string[][], visit: LeafVisitor): SopsMap {
  const comments = [...outer, []];
  const last = comments.length - 1;
  const items = map.items.map((item) => {
    if (isComment(item)) {
      comments[last] = [...(comments[last] ?? []), item.text];
      return asComment(visit(item, path, comments));
    }
    const value = walkValue(item.value, [...path, item.key], comments, visit);
    comments[last] = [];
    return { key: item.key, value };
  });
  return { kind: "map", items };
}

function walkList(list: SopsList, path: readonly string[], outer: string[][], visit: LeafVisitor): SopsList {
  const comments = [...outer, []];
  const last = comments.length - 1;
  const items = list.items.map((item) => {
    if (isComment(item)) {
      comments[last] = [...(comments[last] ?? []), item.text];
      return asComment(visit(item, path, comments));
    }
    const value = walkValue(item, path, comments, visit);
    comments[last] = [];
    return value;
  });
  return { kind: "list", items };
}

/** A visited comment stays a comment (decrypted or not). */
function asComment(v: SopsLeaf | SopsComment): SopsComment {
  return v.kind === "comment" ? v : { kind: "comment", text: Buffer.from("bytes" in v ? v.bytes : []).toString("utf8") };
}
