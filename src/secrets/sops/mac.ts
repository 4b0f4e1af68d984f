import { createHash, type Hash } from "node:crypto";
import { formatFloat, type SopsLeaf } from "./sops-tree.js";

/**
 * SOPS's MAC: SHA-512 over every value of the cleartext tree, in order (comments and nulls left
 * out), each as SOPS's ToBytes writes it, printed as upper-case hex. With `mac_only_encrypted`, only
 * the values that are encrypted count, after a fixed prefix (SHA-256 of "sops") so the two kinds of
 * MAC never coincide. The MAC itself is stored encrypted under the data key, with `lastmodified`
 * as its additional data.
 */
const MAC_ONLY_ENCRYPTED_PREFIX = Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex");

export class MacHash {
  private readonly hash: Hash = createHash("sha512");

  constructor(private readonly onlyEncrypted: boolean) {
    if (onlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_PREFIX);
  }

  /** Counts a cleartext value (when it is encrypted, or when every value counts). */
  add(leaf: SopsLeaf, encrypted: boolean): void {
    if (this.onlyEncrypted && !encrypted) return;
    this.hash.update(macBytes(leaf));
  }

  hex(): string {
    return this.hash.digest("hex").toUpperCase();
  }
}

/** SOPS's ToBytes: strings and bytes as they are, integers in decimal, floats as Go's 'f' format, booleans as True/False. */
export function macBytes(leaf: SopsLeaf): Uint8Array {
  switch (leaf.kind) {
    case "str":
    case "bytes":
      return leaf.bytes;
    case "int":
      return Buffer.from(leaf.value.toString());
    case "float":
      return Buffer.from(formatFloat(leaf.value));
    case "bool":
      return Buffer.from(leaf.value ? "True" : "False");
    case "null":
      return new Uint8Array();
  }
}
