import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { formatFloat, type SopsComment, type SopsLeaf } from "./sops-tree.js";

/**
 * One encrypted value of a SOPS document:
 * `ENC[AES256_GCM,data:<base64>,iv:<base64>,tag:<base64>,type:<str|int|float|bool|bytes|comment>]`,
 * AES-256-GCM under the document's data key with a 32-byte IV and a 16-byte tag, and the value's
 * place in the tree as additional data (its keys joined by ":", plus a trailing ":"), so a value
 * moved to another key does not decrypt. An empty string stays empty (SOPS does not encrypt it).
 */
export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const ENC = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z0-9]+)\]$/;
const TYPES = new Set(["str", "int", "int64", "float", "bool", "bytes", "comment"]);

export function isEncryptedText(text: string): boolean {
  return text.startsWith("ENC[AES256_GCM,");
}

/** The parts of an `ENC[...]` string, or why it is not one. */
export function parseEncryptedValue(text: string): EncryptedValue | { error: string } {
  const m = ENC.exec(text);
  if (!m) return { error: "not a SOPS encrypted value (ENC[AES256_GCM,data:...,iv:...,tag:...,type:...])" };
  const [, data = "", iv = "", tag = "", type = ""] = m;
  if (!TYPES.has(type)) return { error: `unknown value type "${type}"` };
  const parts = { data: Buffer.from(data, "base64"), iv: Buffer.from(iv, "base64"), tag: Buffer.from(tag, "base64"), type };
  if (parts.tag.length !== 16) return { error: "the tag is not 16 bytes" };
  if (parts.iv.length === 0) return { error: "the IV is empty" };
  return parts;
}

/** The additional data that binds a value to its place: `a:b:c:` for the value at a.b.c (list items add nothing). */
export function additionalData(path: readonly string[]): string {
  return `${path.join(":")}:`;
}

export class ValueDecryptError extends Error {}

/** Decrypts one value; throws ValueDecryptError (without the value) when it does not open. */
export function decryptValue(text: string, key: Uint8Array, aad: string): SopsLeaf | SopsComment {
  if (text === "") return { kind: "str", bytes: new Uint8Array() };
  const parsed = parseEncryptedValue(text);
  if ("error" in parsed) throw new ValueDecryptError(parsed.error);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, parsed.iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(parsed.tag);
    plain = Buffer.concat([decipher.update(parsed.data), decipher.final()]);
  } catch {
    throw new ValueDecryptError("it does not decrypt with the data key at its place in the document (changed, or moved from another key)");
  }
  return typed(plain, parsed.type);
}

function typed(plain: Buffer, type: string): SopsLeaf | SopsComment {
  const text = plain.toString("utf8");
  switch (type) {
    case "str":
      return { kind: "str", bytes: plain };
    case "bytes":
      return { kind: "bytes", bytes: plain };
    case "int":
    case "int64":
      if (!/^[+-]?\d+$/.test(text)) throw new ValueDecryptError(`its decrypted text is not an ${type}`);
      return { kind: "int", value: BigInt(text) };
    case "float": {
      const value = Number(text);
      if (text.trim() === "" || Number.isNaN(value)) throw new ValueDecryptError("its decrypted text is not a float");
      return { kind: "float", value };
    }
    case "bool":
      // Go's strconv.ParseBool.
      if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return { kind: "bool", value: true };
      if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return { kind: "bool", value: false };
      throw new ValueDecryptError("its decrypted text is not a bool");
    default:
      return { kind: "comment", text };
  }
}

/** Encrypts one value as SOPS does (a fresh random 32-byte IV); the inverse of decryptValue. */
export function encryptValue(value: SopsLeaf | SopsComment, key: Uint8Array, aad: string): string {
  const { plain, type } = plainOf(value);
  if (plain.length === 0 && (type === "str" || type === "comment" || type === "bytes")) return "";
  const iv = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${cipher.getAuthTag().toString("base64")},type:${type}]`;
}

function plainOf(value: SopsLeaf | SopsComment): { plain: Buffer; type: string } {
  switch (value.kind) {
    case "str":
      return { plain: Buffer.from(value.bytes), type: "str" };
    case "bytes":
      return { plain: Buffer.from(value.bytes), type: "bytes" };
    case "int":
      return { plain: Buffer.from(value.value.toString()), type: "int" };
    case "float":
      return { plain: Buffer.from(formatFloat(value.value)), type: "float" };
    case "bool":
      return { plain: Buffer.from(value.value ? "True" : "False"), type: "bool" };
    case "comment":
      return { plain: Buffer.from(value.text, "utf8"), type: "comment" };
    case "null":
      throw new Error("a null value is never encrypted");
  }
}
