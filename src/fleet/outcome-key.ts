import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigInvalidError, StateError } from "../errors.js";
import { SshWireError } from "../source/ssh-wire.js";
import { ensureStateDir, readStateFile, STATE_FILES, writeFileExclusive } from "../state/index.js";
import { formatOpenSshPrivateKey, generateEd25519, parseOpenSshPrivateKey, type Ed25519KeyPair } from "./openssh-private-key.js";

/**
 * The key this host signs its outcome lines with: a configured file (`report.outcome_key_file`, an
 * unencrypted ed25519 key from `ssh-keygen -t ed25519 -N ''`), or `<state_dir>/outcome.key`,
 * created on first use (mode 0600, exclusively: when two processes race, both use the first one
 * written). Its public half goes into the fleet file (`gitdock fleet key` prints it).
 */
export async function loadOutcomeKey(opts: { stateDir: string; hostId: string; file?: string | undefined }): Promise<Ed25519KeyPair> {
  if (opts.file !== undefined) return readConfiguredKey(opts.file);
  const dir = await ensureStateDir(opts.stateDir);
  const path = join(dir, STATE_FILES.outcomeKey);
  const existing = await readStateKey(path);
  if (existing) return existing;
  const made = generateEd25519(`gitdock@${opts.hostId}`);
  if (await writeFileExclusive(path, formatOpenSshPrivateKey(made), { mode: 0o600 })) return made;
  const winner = await readStateKey(path);
  if (!winner) throw new StateError(`${path} vanished while it was being created`, { data: { file: path } });
  return winner;
}

async function readConfiguredKey(file: string): Promise<Ed25519KeyPair> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read report.outcome_key_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "Check the path and that gitdock's user may read it (mode 0600).",
    });
  }
  try {
    return parseOpenSshPrivateKey(text);
  } catch (err) {
    if (!(err instanceof SshWireError)) throw err;
    throw new ConfigInvalidError(`report.outcome_key_file ${file}: ${err.message}`, { hint: "Make one with `ssh-keygen -t ed25519 -N '' -f FILE`." });
  }
}

async function readStateKey(path: string): Promise<Ed25519KeyPair | undefined> {
  const bytes = await readStateFile(path);
  if (bytes === undefined) return undefined;
  try {
    return parseOpenSshPrivateKey(bytes.toString("utf8"));
  } catch (err) {
    if (!(err instanceof SshWireError)) throw err;
    throw new StateError(`${path} is corrupt: ${err.message}`, {
      hint: "Restore it from a backup, or remove it: gitdock makes a new key, whose public key must then replace this host's key in the fleet file.",
      data: { file: path },
    });
  }
}
