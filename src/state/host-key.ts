import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { StateError } from "../errors.js";
import { readStateFile, writeFileExclusive } from "./atomic-file.js";
import { ensureStateDir, STATE_FILES } from "./state-dir.js";

export const HOST_KEY_BYTES = 32;

/**
 * The host's secret key, `host.key` (32 random bytes, mode 0600). It keys the spec hash (an
 * HMAC), so container labels never carry a plain hash of environment values that could be
 * checked against guesses. Created on first use; when two processes race to create it, both
 * end up with the one that was written first (the file is created exclusively, never replaced).
 */
export async function loadHostKey(stateDir: string): Promise<Buffer> {
  const dir = await ensureStateDir(stateDir);
  const path = join(dir, STATE_FILES.hostKey);
  const existing = await readKey(path);
  if (existing !== undefined) return existing;
  const key = randomBytes(HOST_KEY_BYTES);
  if (await writeFileExclusive(path, key, { mode: 0o600 })) return key;
  const winner = await readKey(path);
  if (winner === undefined) throw new StateError(`${path} vanished while it was being created`, { data: { file: path } });
  return winner;
}

async function readKey(path: string): Promise<Buffer | undefined> {
  const key = await readStateFile(path);
  if (key === undefined) return undefined;
  if (key.length !== HOST_KEY_BYTES) {
    throw new StateError(`${path} is corrupt: it holds ${key.length} bytes, not ${HOST_KEY_BYTES}`, {
      hint:
        "Restore host.key from a backup, or run `gitdock state rebuild`: it moves the key aside and makes " +
        "a new one; only containers that use secrets or env files are recreated (their secret digests change).",
      data: { file: path, bytes: key.length },
    });
  }
  return key;
}
