import { isEncryptedText, parseEncryptedValue } from "./encrypted-value.js";
import type { SopsDocument } from "./read-sops-document.js";
import { shouldBeEncrypted } from "./value-selection.js";
import { mapLeaves } from "./walk-tree.js";

/**
 * Without the key: every value the selection rules encrypt must be an encrypted value (or empty),
 * so a value added or changed by hand after encryption (a secret in plain text inside a SOPS file)
 * is found in a pull request. Names the paths, never the values.
 */
export function unencryptedValues(document: SopsDocument): string[] {
  const out: string[] = [];
  if (document.branches.length === 0) return out;
  mapLeaves(document.branches, (leaf, path, comments) => {
    if (leaf.kind === "comment" || !shouldBeEncrypted(document.metadata.rule, path, comments, false)) return leaf;
    const where = path.length ? path.join(".") : "(top level)";
    if (leaf.kind !== "str") out.push(`the value at ${where} should be encrypted but is a plain ${leaf.kind}`);
    else {
      const text = Buffer.from(leaf.bytes).toString("utf8");
      if (text !== "" && (!isEncryptedText(text) || "error" in parseEncryptedValue(text)))
        out.push(`the value at ${where} should be encrypted but is plain text (added by hand after encryption?)`);
    }
    return leaf;
  });
  return out;
}
