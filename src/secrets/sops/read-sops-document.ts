import { readDotenvTree } from "./read-dotenv-tree.js";
import { readYamlTree } from "./read-yaml-tree.js";
import { isRecord, readSopsMetadata, type SopsMetadata } from "./sops-metadata.js";
import { isComment, leafText, type SopsBranches, type SopsMap, type SopsValue } from "./sops-tree.js";

/** How the document is written; `binary` is SOPS's JSON with one encrypted `data` value holding a whole file. */
export type SopsFormat = "yaml" | "json" | "dotenv" | "binary";

export interface SopsDocument {
  format: SopsFormat;
  /** The documents without their `sops` metadata, values still encrypted. */
  branches: SopsBranches;
  metadata: SopsMetadata;
  /** Why the document cannot be used; empty when its structure is sound. */
  problems: string[];
}

/**
 * The file as a SOPS document when its content says it is one — a YAML or JSON mapping with a
 * `sops` mapping holding a MAC or version, or dotenv lines with `sops_mac=`/`sops_version=` —
 * whatever its name; undefined for any other file. Pure: no key is needed to read the structure.
 */
export function readSopsDocument(bytes: Uint8Array): SopsDocument | undefined {
  const text = Buffer.from(bytes).toString("utf8");
  if (!text.includes("sops")) return undefined;
  if (/^sops_(?:mac|version|lastmodified)=/m.test(text)) return dotenvDocument(text);
  if (!/\bsops\b/.test(text) || !/\bmac\b|\bversion\b/.test(text)) return undefined;
  let branches: SopsBranches;
  try {
    branches = readYamlTree(text);
  } catch (err) {
    // Only a file that names SOPS's metadata where it would be is worth an error.
    if (!/^(?:sops:|\s*"sops"\s*:)/m.test(text)) return undefined;
    return broken(isJson(text) ? "json" : "yaml", `not valid ${isJson(text) ? "JSON" : "YAML"}: ${(err as Error).message}`);
  }
  const raw = metadataOf(branches[0]);
  if (raw === undefined || !isRecord(raw) || !("mac" in raw || "version" in raw || "lastmodified" in raw)) return undefined;
  const stripped = branches.map((b) => ({ kind: "map" as const, items: b.items.filter((i) => isComment(i) || i.key !== "sops") }));
  const { metadata, problems } = readSopsMetadata(raw);
  return { format: formatOf(text, stripped), branches: stripped, metadata, problems };
}

function dotenvDocument(text: string): SopsDocument {
  const { branch, metadata: raw, problems } = readDotenvTree(text);
  const read = readSopsMetadata(raw);
  return { format: "dotenv", branches: [branch], metadata: read.metadata, problems: [...problems, ...read.problems] };
}

function broken(format: SopsFormat, problem: string): SopsDocument {
  return { format, branches: [], metadata: readSopsMetadata({}).metadata, problems: [problem] };
}

function isJson(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/** JSON with nothing but a `data` string is SOPS's binary form: the value is a whole file. */
function formatOf(text: string, branches: SopsBranches): SopsFormat {
  if (!isJson(text)) return "yaml";
  const items = branches[0]?.items.filter((i) => !isComment(i)) ?? [];
  const only = items.length === 1 ? items[0] : undefined;
  return only && !isComment(only) && only.key === "data" && only.value.kind === "str" ? "binary" : "json";
}

/** The `sops` mapping of the first document as plain data (strings, numbers, lists, mappings). */
function metadataOf(branch: SopsMap | undefined): unknown {
  const item = branch?.items.find((i) => !isComment(i) && i.key === "sops");
  return item && !isComment(item) ? plain(item.value) : undefined;
}

function plain(value: SopsValue): unknown {
  if (value.kind === "map") return Object.fromEntries(value.items.flatMap((i) => (isComment(i) ? [] : [[i.key, plain(i.value)]])));
  if (value.kind === "list") return value.items.flatMap((i) => (i.kind === "comment" ? [] : [plain(i)]));
  if (value.kind === "bool") return value.value;
  if (value.kind === "null") return null;
  if (value.kind === "int") return Number(value.value);
  if (value.kind === "float") return value.value;
  return leafText(value);
}
