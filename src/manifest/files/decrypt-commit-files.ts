import { createHmac } from "node:crypto";
import type { ManifestSecrets } from "./encrypted-repo-files.js";
import type { RepoTree } from "../repo-tree.js";
import { decryptFile, type Decryption } from "../../secrets/decrypt-file.js";
import { describeIdentities, type HostIdentities } from "../../secrets/host-identities.js";
import { inspectEncryptedFile } from "../../secrets/inspect-encrypted-file.js";

/**
 * Before a commit's manifest is read on a host: every encrypted file of the host's directory (by
 * its content: SOPS metadata or an age header), decrypted in memory with this host's keys. The
 * manifest stage then takes what it needs (manifest/load, files/encrypted-repo-files.ts) and
 * reports, at the line that names a file, one it cannot use; a file no stack names is never
 * reported. Nothing is written anywhere.
 */
export async function decryptCommitFiles(tree: RepoTree, root: string, ids: HostIdentities): Promise<Map<string, Decryption>> {
  const out = new Map<string, Decryption>();
  const prefix = root === "" ? "" : `${root}/`;
  for (const [path, bytes] of tree.files) {
    if (prefix !== "" && !path.startsWith(prefix)) continue;
    const file = inspectEncryptedFile(bytes);
    if (file) out.set(path, await decryptFile(file, ids));
  }
  return out;
}

/** What the manifest stage gets: the decryptions, the tmpfs, and the key that names decrypted files. */
export function manifestSecretsOf(
  decrypted: ReadonlyMap<string, Decryption> | undefined,
  ids: HostIdentities,
  runtimeDir: string,
  hostKey: Buffer,
): ManifestSecrets {
  return { runtimeDir, nameKey: nameKeyOf(hostKey), decrypted, hostKeys: describeIdentities(ids) };
}

/** Decrypted files are named under a key of their own, derived from the host key (which never leaves the state directory). */
export function nameKeyOf(hostKey: Buffer): Buffer {
  return createHmac("sha256", hostKey).update("gitdock-decrypted-file-names").digest();
}
