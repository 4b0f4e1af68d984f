import { access, chmod, constants, mkdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { StateError } from "../errors.js";

/** Files gitdock keeps in its state directory. */
export const STATE_FILES = {
  state: "state.json",
  journal: "journal.jsonl",
  journalHead: "journal.head",
  hostKey: "host.key",
  lock: "reconcile.lock",
  /** The running agent's control token (src/agent/control-token.ts). */
  agentToken: "agent.token",
  /** The key this host signs its outcome lines with (src/fleet/outcome-key.ts). */
  outcomeKey: "outcome.key",
} as const;

/** The state directory is root's alone: it holds the host key, the agent's token and secrets' digests. */
const STATE_DIR_MODE = 0o700;

/**
 * Makes sure the state directory exists (creating it, and missing parents, with mode 0700), is a
 * writable directory, and is mode 0700 even when it existed with a wider mode (an operator's
 * `mkdir` gives 0755, which would let every local user read the agent's token). Returns its
 * absolute path.
 */
export async function ensureStateDir(stateDir: string): Promise<string> {
  const dir = resolve(stateDir);
  const hint = `Create ${dir} (mode 0700) for the user gitdock runs as, or pass another --state-dir.`;
  try {
    await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
    const st = await stat(dir);
    if (!st.isDirectory()) {
      throw new StateError(`state directory ${dir} is not a directory`, { hint, data: { dir } });
    }
    if ((st.mode & 0o777) !== STATE_DIR_MODE) await chmod(dir, STATE_DIR_MODE);
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof StateError) throw err;
    throw new StateError(`cannot use state directory ${dir}: ${(err as Error).message}`, {
      hint,
      data: { dir },
      cause: err,
    });
  }
  return dir;
}
