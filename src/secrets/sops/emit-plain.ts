import { Document, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { isComment, leafText, type SopsBranches, type SopsValue } from "./sops-tree.js";
import type { SopsFormat } from "./read-sops-document.js";

/**
 * The decrypted document as the file a container reads (what `sops --decrypt` prints): the whole
 * file for the binary form; dotenv lines (line breaks written `\n`); YAML (each document, in order);
 * JSON indented. Comments are left out: they are no part of a value.
 */
export function emitPlain(format: SopsFormat, branches: SopsBranches): Uint8Array {
  switch (format) {
    case "binary": {
      const data = branches[0]?.items.find((i) => !isComment(i) && i.key === "data");
      return data && !isComment(data) && (data.value.kind === "str" || data.value.kind === "bytes") ? data.value.bytes : new Uint8Array();
    }
    case "dotenv":
      return Buffer.from((branches[0]?.items ?? []).map((i) => (isComment(i) ? "" : `${i.key}=${textOf(i.value).replaceAll("\n", "\\n")}\n`)).join(""), "utf8");
    case "json":
      return Buffer.from(`${JSON.stringify(toJs(branches[0] ?? { kind: "map", items: [] }), null, 4)}\n`, "utf8");
    case "yaml":
      return Buffer.from(branches.map((b) => new Document(toYaml(b)).toString()).join("---\n"), "utf8");
  }
}

function textOf(value: SopsValue): string {
  if (value.kind === "map" || value.kind === "list") throw new Error("a dotenv value cannot be a mapping or a list");
  return leafText(value);
}

function toYaml(value: SopsValue): unknown {
  if (value.kind === "map") {
    const map = new YAMLMap();
    for (const i of value.items) if (!isComment(i)) map.add({ key: new Scalar(i.key), value: toYaml(i.value) });
    return map;
  }
  if (value.kind === "list") {
    const seq = new YAMLSeq();
    for (const i of value.items) if (i.kind !== "comment") seq.add(toYaml(i));
    return seq;
  }
  return new Scalar(jsLeaf(value));
}

function toJs(value: SopsValue): unknown {
  if (value.kind === "map") return Object.fromEntries(value.items.flatMap((i) => (isComment(i) ? [] : [[i.key, toJs(i.value)]])));
  if (value.kind === "list") return value.items.flatMap((i) => (i.kind === "comment" ? [] : [toJs(i)]));
  const v = jsLeaf(value);
  return typeof v === "bigint" ? Number(v) : v;
}

function jsLeaf(value: Exclude<SopsValue, { kind: "map" | "list" }>): unknown {
  switch (value.kind) {
    case "int":
      return value.value;
    case "float":
    case "bool":
      return value.value;
    case "null":
      return null;
    default:
      return leafText(value);
  }
}
