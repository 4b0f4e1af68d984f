import type { Settings } from "../../config/settings.js";
import { loadManifest } from "../../manifest/index.js";
import { localGitdirOf } from "../../source/local-gitdir.js";
import { readCommitTree } from "../../source/read-commit-tree.js";
import { decryptFile } from "../../secrets/decrypt-file.js";
import { loadHostIdentities, NO_IDENTITIES, type HostIdentities } from "../../secrets/host-identities.js";
import { inspectEncryptedFile } from "../../secrets/inspect-encrypted-file.js";

/** An encrypted file a service uses, and whether this host can decrypt it now (never its content). */
export interface EncryptedFileStatus {
  repoPath: string;
  /** "SOPS dotenv", "age file", ... */
  kind: string;
  usedAs: string;
  recipients: string[];
  decryptable: boolean;
  /** Why not, when it cannot be decrypted. */
  reason?: string;
}

/**
 * For `gitdock status`: the encrypted files each service of `commit` uses (by `project/service`;
 * a stack's variables files under `project/`), each tried now with this host's keys, in memory,
 * from the local clone (no network). Undefined when the commit cannot be read here.
 */
export async function encryptedFilesByService(settings: Settings, commit: string): Promise<Record<string, EncryptedFileStatus[]> | undefined> {
  const gitdir = localGitdirOf(settings);
  if (gitdir === undefined) return undefined;
  const tree = await readCommitTree(gitdir, commit, settings.path).catch(() => undefined);
  if (!tree) return undefined;
  let loaded;
  try {
    loaded = loadManifest(tree, {});
  } catch {
    return undefined;
  }
  const { ids, problem } = await identities(settings);
  const out: Record<string, EncryptedFileStatus[]> = {};
  for (const stack of loaded.stacks) {
    for (const use of stack.encryptedFiles ?? []) {
      const file = inspectEncryptedFile(tree.files.get(use.repoPath) ?? new Uint8Array());
      const decryption = file && (problem ? undefined : await decryptFile(file, ids));
      const status: EncryptedFileStatus = {
        repoPath: use.repoPath,
        kind: use.kind === "sops" ? `SOPS ${use.format}` : "age file",
        usedAs: use.usedAs,
        recipients: use.recipients,
        decryptable: decryption?.ok === true,
        ...(decryption?.ok ? {} : { reason: problem ?? (decryption && !decryption.ok ? decryption.message : "not encrypted any more") }),
      };
      for (const service of use.services.length ? use.services : [""]) (out[`${stack.project}/${service}`] ??= []).push(status);
    }
  }
  return out;
}

async function identities(settings: Settings): Promise<{ ids: HostIdentities; problem?: string }> {
  try {
    return { ids: await loadHostIdentities(settings.secrets) };
  } catch (err) {
    return { ids: NO_IDENTITIES, problem: (err as Error).message };
  }
}
