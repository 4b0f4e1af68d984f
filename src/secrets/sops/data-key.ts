import type { HostIdentities } from "../host-identities.js";
import type { SopsMetadata } from "./sops-metadata.js";

export class NoKeyError extends Error {}

/**
 * The document's 32-byte data key, unwrapped with one of this host's keys: each age entry is an
 * armored age file holding the key, each pgp entry an armored OpenPGP message holding it. Entries
 * for keys this host does not hold are skipped; NoKeyError when none opens.
 */
export async function unwrapDataKey(metadata: SopsMetadata, ids: HostIdentities): Promise<Uint8Array> {
  const failures: string[] = [];
  if (ids.age.length > 0) {
    for (const entry of metadata.age) {
      const key = await ageDataKey(entry.enc, ids).catch((err: Error) => void failures.push(`age ${entry.recipient}: ${err.message}`));
      if (key) return checked(key);
    }
  }
  if (ids.pgp.length > 0) {
    for (const entry of metadata.pgp) {
      const key = await pgpDataKey(entry.enc, ids).catch((err: Error) => void failures.push(`pgp ${entry.fp}: ${err.message}`));
      if (key) return checked(key);
    }
  }
  throw new NoKeyError(failures.length ? failures.join("; ") : "no key of this host is among the recipients");
}

async function ageDataKey(enc: string, ids: HostIdentities): Promise<Uint8Array | undefined> {
  const { Decrypter, armor } = await import("age-encryption");
  const decrypter = new Decrypter();
  for (const a of ids.age) decrypter.addIdentity(a.identity);
  try {
    return await decrypter.decrypt(armor.decode(enc));
  } catch (err) {
    if (/no identity matched/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

async function pgpDataKey(enc: string, ids: HostIdentities): Promise<Uint8Array | undefined> {
  const openpgp = await import("openpgp");
  const message = await openpgp.readMessage({ armoredMessage: enc });
  const wanted = message.getEncryptionKeyIDs().map((id) => id.toHex());
  const ours = ids.pgp.flatMap((k) => [k.getKeyID(), ...k.getSubkeys().map((s) => s.getKeyID())].map((id) => id.toHex()));
  if (!wanted.some((id) => ours.includes(id))) return undefined;
  // Typed as unknown and checked: openpgp's result type names stream types this program lacks.
  const decrypted: unknown = await openpgp.decrypt({ message, decryptionKeys: ids.pgp, format: "binary" });
  const data = (decrypted as { data?: unknown } | undefined)?.data;
  if (!(data instanceof Uint8Array)) throw new Error("OpenPGP gave no binary data key");
  return data;
}

function checked(key: Uint8Array): Uint8Array {
  if (key.byteLength !== 32) throw new NoKeyError(`the unwrapped data key is ${key.byteLength} bytes, not 32`);
  return key;
}
