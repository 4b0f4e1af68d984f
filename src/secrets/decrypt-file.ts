import type { HostIdentities } from "./host-identities.js";
import type { EncryptedFile } from "./inspect-encrypted-file.js";
import { SecretBytes } from "./secret-bytes.js";
import { NoKeyError, unwrapDataKey } from "./sops/data-key.js";
import { decryptTree } from "./sops/decrypt-tree.js";
import { emitPlain } from "./sops/emit-plain.js";
import { isComment, leafText, type SopsBranches } from "./sops/sops-tree.js";

/** A decrypted file: its content as a container reads it, and its top-level values (for env files and variables). */
export interface DecryptedFile {
  content: SecretBytes;
  /** KEY → value for a flat document (dotenv, or YAML/JSON with scalar values at the top); undefined otherwise. */
  variables: ReadonlyMap<string, SecretBytes> | undefined;
}

export type Decryption = { ok: true; file: DecryptedFile } | { ok: false; reason: "no-key" | "invalid"; message: string };

/**
 * Decrypts one file with this host's keys, in memory: a SOPS document after its data key is
 * unwrapped and its MAC checked (decrypt-tree.ts), an age file as age decrypts it. Never throws for
 * a file that cannot be opened; the message names the recipients, never a value.
 */
export async function decryptFile(file: EncryptedFile, ids: HostIdentities): Promise<Decryption> {
  if (file.problems.length) return { ok: false, reason: "invalid", message: file.problems.join("; ") };
  try {
    return file.kind === "sops" ? await decryptSops(file, ids) : await decryptAge(file.age.armored, ids, file.bytes);
  } catch (err) {
    return { ok: false, reason: err instanceof NoKeyError ? "no-key" : "invalid", message: (err as Error).message };
  }
}

async function decryptSops(file: Extract<EncryptedFile, { kind: "sops" }>, ids: HostIdentities): Promise<Decryption> {
  const { document } = file;
  const key = await unwrapDataKey(document.metadata, ids);
  try {
    const clear = decryptTree(document.branches, document.metadata, key);
    return { ok: true, file: { content: new SecretBytes(emitPlain(document.format, clear)), variables: variablesOf(document.format, clear) } };
  } finally {
    key.fill(0);
  }
}

async function decryptAge(armored: boolean, ids: HostIdentities, bytes: Uint8Array): Promise<Decryption> {
  if (ids.age.length === 0) throw new NoKeyError("this host has no age identity");
  const { Decrypter, armor } = await import("age-encryption");
  const decrypter = new Decrypter();
  for (const a of ids.age) decrypter.addIdentity(a.identity);
  const input = armored ? armor.decode(Buffer.from(bytes).toString("latin1")) : bytes;
  try {
    const plain = await decrypter.decrypt(input);
    return { ok: true, file: { content: new SecretBytes(plain), variables: undefined } };
  } catch (err) {
    const message = (err as Error).message;
    if (/no identity matched/i.test(message)) throw new NoKeyError("no identity of this host matches any of the file's recipients");
    throw new Error(`age could not decrypt it: ${message}`, { cause: err });
  }
}

/** The top-level keys of a flat document and their values as text; undefined when a value is a mapping or a list. */
function variablesOf(format: string, branches: SopsBranches): ReadonlyMap<string, SecretBytes> | undefined {
  if (format === "binary" || branches.length !== 1) return undefined;
  const out = new Map<string, SecretBytes>();
  for (const item of branches[0]?.items ?? []) {
    if (isComment(item)) continue;
    if (item.value.kind === "map" || item.value.kind === "list") return undefined;
    out.set(item.key, new SecretBytes(Buffer.from(leafText(item.value), "utf8")));
  }
  return out;
}
