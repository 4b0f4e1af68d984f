import { mkdir, stat, access, constants } from "node:fs/promises";
import { resolve } from "node:path";
import { StateError } from "../errors.js";

/** Files gitdock keeps in its state directory. */
export const STATE_FILES = {
  state: "state.json",
  journal: "journal.jsonl",
  journalHead: "journal.head",
  hostKey: "host.key",
  lock: "reconcile.lock",
} as const;

/**
 * Makes sure the state directory exists (creating it, and missing parents, with mode 0700) and
 * is a writable directory. Returns its absolute path.
 */
export async function ensureStateDir(stateDir: string): Promise<string> {
  const dir = resolve(stateDir);
  const hint = `Create ${dir} (mode 0700) for the user gitdock runs as, or pass another --state-dir.`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await stat(dir);
    if (!st.isDirectory()) {
      throw new StateError(`state directory ${dir} is not a directory`, { hint, data: { dir } });
    }
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
