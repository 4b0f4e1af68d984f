import { timingSafeEqual } from "node:crypto";
import { additionalData, decryptValue, isEncryptedText, ValueDecryptError } from "./encrypted-value.js";
import { MacHash } from "./mac.js";
import { parseLastModified, type SopsMetadata } from "./sops-metadata.js";
import type { SopsBranches, SopsLeaf } from "./sops-tree.js";
import { shouldBeEncrypted } from "./value-selection.js";
import { mapLeaves } from "./walk-tree.js";

export class SopsMacError extends Error {}

/**
 * The cleartext tree of a document, given its data key, after checking its MAC: every value the
 * selection rules encrypt is decrypted at its place (a value there that is not encrypted is an
 * error, not a value: it was changed by hand after encryption), every value counted into the MAC
 * in order, and the MAC compared with the one stored (decrypted with `lastmodified` as its
 * additional data). Comments that do not decrypt are kept as written, as SOPS does. Throws
 * SopsMacError or ValueDecryptError with the value's path, never the value.
 */
export function decryptTree(branches: SopsBranches, metadata: SopsMetadata, key: Uint8Array): SopsBranches {
  const mac = new MacHash(metadata.macOnlyEncrypted);
  const clear = mapLeaves(branches, (leaf, path, comments) => {
    const isComment = leaf.kind === "comment";
    const encrypted = shouldBeEncrypted(metadata.rule, path, comments, isComment);
    if (leaf.kind === "comment") {
      if (!encrypted || !isEncryptedText(leaf.text)) return leaf;
      try {
        return decryptValue(leaf.text, key, additionalData(path));
      } catch {
        return leaf;
      }
    }
    const value = encrypted ? openValue(leaf, path, key) : leaf;
    mac.add(value, encrypted);
    return value;
  });
  checkMac(metadata, key, mac.hex());
  return clear;
}

function openValue(leaf: SopsLeaf, path: readonly string[], key: Uint8Array): SopsLeaf {
  const where = path.length ? path.join(".") : "(top level)";
  if (leaf.kind !== "str") throw new ValueDecryptError(`the value at ${where} should be encrypted but is a plain ${leaf.kind}`);
  const text = Buffer.from(leaf.bytes).toString("utf8");
  if (text !== "" && !isEncryptedText(text))
    throw new ValueDecryptError(`the value at ${where} should be encrypted but is plain text (added by hand after encryption?)`);
  try {
    const v = decryptValue(text, key, additionalData(path));
    if (v.kind === "comment") throw new ValueDecryptError("it is an encrypted comment");
    return v;
  } catch (err) {
    throw new ValueDecryptError(`the value at ${where} cannot be decrypted: ${(err as Error).message}`);
  }
}

function checkMac(metadata: SopsMetadata, key: Uint8Array, computed: string): void {
  if (metadata.mac === "") throw new SopsMacError("the file has no MAC; refusing it (a file without one could have been changed by anyone)");
  const lastModified = parseLastModified(metadata.lastModified);
  if (lastModified === undefined) throw new SopsMacError("sops.lastmodified is not an RFC 3339 time, so the MAC cannot be checked");
  let stored: SopsLeaf;
  try {
    const v = decryptValue(metadata.mac, key, lastModified);
    if (v.kind !== "str") throw new ValueDecryptError("not a string");
    stored = v;
  } catch {
    throw new SopsMacError("the stored MAC does not decrypt with the data key (sops.mac or sops.lastmodified was changed)");
  }
  const want = Buffer.from(stored.bytes);
  const got = Buffer.from(computed);
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new SopsMacError("MAC mismatch: the values, their order or the selection rules were changed after encryption");
  }
}
