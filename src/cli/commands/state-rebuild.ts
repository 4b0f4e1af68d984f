import { rename } from "node:fs/promises";
import { join } from "node:path";
import type { Settings } from "../../config/settings.js";
import { StateError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { acquireLock, ensureStateDir, loadHostKey, StateStore, STATE_FILES } from "../../state/index.js";
import { EXIT } from "../exit-codes.js";
import { syncCommand } from "./sync.js";

/**
 * `gitdock state rebuild`: the way out of a corrupt state directory. A `state.json` that cannot be
 * read is moved aside (and `host.key`, when it cannot be read), then one sync runs: with no state,
 * it rebuilds the last good commit from the labels of the containers this host runs (and a failed
 * branch head from this host's git note), says so in the log, journal and status, and goes on as a
 * sync does. A `state.json` that reads fine is kept (its failed marks and history are worth more
 * than what the containers' labels say) unless `--force` asks to rebuild anyway. Nothing is
 * deleted: the files moved aside keep a `.replaced-<time>` suffix.
 */
export async function stateRebuildCommand(settings: Settings, log: Logger, opts: { force?: boolean } = {}): Promise<number> {
  const moved = await moveAsideUnreadable(settings.stateDir, log, opts.force === true);
  if (!moved.length) {
    process.stdout.write("state.json and host.key read fine: nothing to rebuild (--force rebuilds from the host anyway)\n");
    return EXIT.ok;
  }
  process.stdout.write(`moved aside: ${moved.join(", ")}; rebuilding from the host with one sync\n`);
  return syncCommand(settings, log);
}

/** Under the state lock: moves aside the state files that cannot be read (state.json too with `force`); returns them. */
export async function moveAsideUnreadable(stateDir: string, log: Logger, force: boolean): Promise<string[]> {
  const dir = await ensureStateDir(stateDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const release = await acquireLock(stateDir, { wait: true, timeoutMs: 600_000 });
  try {
    const moved: string[] = [];
    if (force || !(await readsFine(() => StateStore.open(stateDir).then((s) => s.read())))) {
      if (await moveAside(join(dir, STATE_FILES.state), stamp, log)) moved.push(STATE_FILES.state);
    }
    if (!(await readsFine(() => loadHostKey(stateDir)))) {
      if (await moveAside(join(dir, STATE_FILES.hostKey), stamp, log)) moved.push(STATE_FILES.hostKey);
    }
    await StateStore.open(stateDir);
    return moved;
  } finally {
    await release();
  }
}

async function readsFine(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if (err instanceof StateError) return false;
    throw err;
  }
}

async function moveAside(file: string, stamp: string, log: Logger): Promise<boolean> {
  const aside = `${file}.replaced-${stamp}`;
  try {
    await rename(file, aside);
    log.warn({ stage: "state", file, aside }, `moved ${file} aside to ${aside}`);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    return false;
  }
}
