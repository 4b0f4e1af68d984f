import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { HostInputError } from "../errors.js";
import type { SecretMountSpec, ServiceSecret } from "../model.js";

/**
 * A secret's content enters nothing gitdock keeps or shows — not the spec hash, labels, logs, state
 * or journal. What the spec hash sees instead is this digest: an HMAC of the content under the host
 * key, which changes when the content does (so the services that mount it are replaced) but cannot
 * be checked against guesses without the key, which never leaves the state directory (mode 0600).
 * The digest itself lives only in memory, inside the hashed spec.
 */
export async function secretDigest(file: string, hostKey: Buffer): Promise<string> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (err) {
    throw new HostInputError(`secret file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
      hint: "Create the file on this host (it is deliberately not in Git), readable by gitdock only.",
    });
  }
  try {
    return createHmac("sha256", hostKey).update("gitdock-secret\0").update(content).digest("hex");
  } finally {
    content.fill(0);
  }
}

/** The mounts of a service's secrets, with their digests; each file is read once per sync. */
export async function secretMounts(secrets: readonly ServiceSecret[], digestOnce: (file: string) => Promise<string>): Promise<SecretMountSpec[]> {
  return Promise.all(secrets.map(async (s) => ({ source: s.source, target: s.target, file: s.file, digest: await digestOnce(s.file) })));
}
