/**
 * A SOPS encoder for the tests: writes documents as `sops --encrypt` does (values encrypted with
 * AES-256-GCM at their tree path under a fresh data key, the MAC over the cleartext in order,
 * the data key wrapped for age recipients and OpenPGP keys), so gitdock's decoder is checked
 * against documents whose every part the test controls (tampering included). The wrapped data
 * keys are checked against the real `age` and `gpg` tools in test/unit/secrets-sops-interop.test.ts.
 */
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { additionalData, encryptValue } from "../../src/secrets/sops/encrypted-value.js";
import { MacHash } from "../../src/secrets/sops/mac.js";
import type { SelectionRule } from "../../src/secrets/sops/sops-metadata.js";
import { isComment, type SopsBranches, type SopsMap, type SopsValue } from "../../src/secrets/sops/sops-tree.js";
import { shouldBeEncrypted } from "../../src/secrets/sops/value-selection.js";
import { mapLeaves } from "../../src/secrets/sops/walk-tree.js";

export type PlainFormat = "yaml" | "json" | "dotenv" | "binary";

export interface EncodeOptions {
  format: PlainFormat;
  /** age recipients (age1…) the data key is wrapped for. */
  age?: string[];
  /** Armored OpenPGP public keys the data key is wrapped for. */
  pgp?: string[];
  rule?: SelectionRule;
  macOnlyEncrypted?: boolean;
  lastModified?: string;
  /** A given data key (tests of wrapping); default: 32 random bytes. */
  dataKey?: Uint8Array;
}

/** Plain data as a SOPS tree: strings, integers (int), other numbers (float), booleans, null, lists and mappings, in order. */
export function treeOf(value: Record<string, unknown>): SopsMap {
  return { kind: "map", items: Object.entries(value).map(([key, v]) => ({ key, value: valueOf(v) })) };
}

function valueOf(v: unknown): SopsValue {
  if (v === null || v === undefined) return { kind: "null" };
  if (typeof v === "string") return { kind: "str", bytes: Buffer.from(v, "utf8") };
  if (v instanceof Uint8Array) return { kind: "str", bytes: v };
  if (typeof v === "bigint") return { kind: "int", value: v };
  if (typeof v === "number") return Number.isInteger(v) ? { kind: "int", value: BigInt(v) } : { kind: "float", value: v };
  if (typeof v === "boolean") return { kind: "bool", value: v };
  if (Array.isArray(v)) return { kind: "list", items: v.map(valueOf) };
  return treeOf(v as Record<string, unknown>);
}

/** Encrypts `branches` and writes the document in `opts.format`. */
export async function encodeSops(branches: SopsBranches, opts: EncodeOptions): Promise<string> {
  const key = opts.dataKey ?? randomBytes(32);
  const rule = opts.rule ?? { kind: "unencrypted_suffix", value: "_unencrypted" };
  const mac = new MacHash(opts.macOnlyEncrypted ?? false);
  const encrypted = mapLeaves(branches, (leaf, path, comments) => {
    const isC = leaf.kind === "comment";
    const enc = shouldBeEncrypted(rule, path, comments, isC);
    if (leaf.kind !== "comment") mac.add(leaf, enc);
    return enc ? { kind: "str", bytes: Buffer.from(encryptValue(leaf, key, additionalData(path)), "utf8") } : leaf;
  });
  const lastModified = opts.lastModified ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const metadata: Record<string, unknown> = {
    age: await Promise.all((opts.age ?? []).map(async (recipient) => ({ recipient, enc: await wrapForAge(key, recipient) }))),
    lastmodified: lastModified,
    mac: encryptValue({ kind: "str", bytes: Buffer.from(mac.hex()) }, key, lastModified),
    pgp: await Promise.all((opts.pgp ?? []).map(async (armored) => wrapForPgp(key, armored))),
    [rule.kind]: rule.value,
    ...(opts.macOnlyEncrypted ? { mac_only_encrypted: true } : {}),
    version: "3.9.1",
  };
  return emit(encrypted, metadata, opts.format);
}

export async function wrapForAge(key: Uint8Array, recipient: string): Promise<string> {
  const { Encrypter, armor } = await import("age-encryption");
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(key));
}

export async function wrapForPgp(key: Uint8Array, armoredPublicKey: string): Promise<{ created_at: string; enc: string; fp: string }> {
  const openpgp = await import("openpgp");
  const publicKey = await openpgp.readKey({ armoredKey: armoredPublicKey });
  const enc = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: key }), encryptionKeys: publicKey, format: "armored" });
  return { created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"), enc: enc as string, fp: publicKey.getFingerprint().toUpperCase() };
}

function emit(branches: SopsBranches, metadata: Record<string, unknown>, format: PlainFormat): string {
  if (format === "dotenv") {
    const lines = (branches[0]?.items ?? []).map((i) => (isComment(i) ? `#${i.text}` : `${i.key}=${plainText(i.value).replaceAll("\n", "\\n")}`));
    for (const [k, v] of Object.entries(flatten(metadata))) lines.push(`sops_${k}=${String(v).replaceAll("\n", "\\n")}`);
    return `${lines.join("\n")}\n`;
  }
  const docs = branches.map((b) => ({ ...(toJs(b) as Record<string, unknown>), sops: metadata }));
  if (format === "json" || format === "binary") return `${JSON.stringify(docs[0], null, 4)}\n`;
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

function plainText(v: SopsValue): string {
  return v.kind === "str" ? Buffer.from(v.bytes).toString("utf8") : v.kind === "int" || v.kind === "float" || v.kind === "bool" ? String(v.value) : "";
}

function toJs(v: SopsValue): unknown {
  if (v.kind === "map") return Object.fromEntries(v.items.flatMap((i) => (isComment(i) ? [] : [[i.key, toJs(i.value)]])));
  if (v.kind === "list") return v.items.flatMap((i) => (i.kind === "comment" ? [] : [toJs(i)]));
  if (v.kind === "str" || v.kind === "bytes") return Buffer.from(v.bytes).toString("utf8");
  if (v.kind === "null") return null;
  return v.kind === "int" ? Number(v.value) : v.value;
}

/** SOPS's flattening of metadata for dotenv: `age__list_0__map_recipient`. */
function flatten(value: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === "" ? k : `${prefix}__map_${k}`;
    if (Array.isArray(v)) v.forEach((item, i) => Object.assign(out, isObject(item) ? flatten(item, `${key}__list_${i}`) : { [`${key}__list_${i}`]: item }));
    else if (isObject(v)) Object.assign(out, flatten(v, key));
    else out[key] = v;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
