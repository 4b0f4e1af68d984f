import { rename } from "node:fs/promises";
import { join } from "node:path";
import type { Settings } from "../../config/settings.js";
import type { Logger } from "../../log.js";
import { acquireLock, ensureStateDir, loadHostKey, StateStore, STATE_FILES } from "../../state/index.js";
import { syncCommand } from "./sync.js";

/**
 * `gitdock state rebuild`: the way out of a corrupt state directory. `state.json` is moved aside
 * (and `host.key`, when it cannot be read), then one sync runs: with no state, it rebuilds the last
 * good commit from the labels of the containers this host runs (and a failed branch head from this
 * host's git note), says so in the log, journal and status, and goes on as a sync does. Nothing is
 * deleted: the files moved aside keep a `.replaced-<time>` suffix.
 */
export async function stateRebuildCommand(settings: Settings, log: Logger): Promise<number> {
  const dir = await ensureStateDir(settings.stateDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const release = await acquireLock(settings.stateDir, { wait: true, timeoutMs: 600_000 });
  try {
    await moveAside(join(dir, STATE_FILES.state), stamp, log);
    if (
      !(await loadHostKey(settings.stateDir).then(
        () => true,
        () => false,
      ))
    )
      await moveAside(join(dir, STATE_FILES.hostKey), stamp, log);
    await StateStore.open(settings.stateDir);
  } finally {
    await release();
  }
  process.stdout.write("state moved aside; rebuilding from the host with one sync\n");
  return syncCommand(settings, log);
}

async function moveAside(file: string, stamp: string, log: Logger): Promise<void> {
  const aside = `${file}.replaced-${stamp}`;
  try {
    await rename(file, aside);
    log.warn({ stage: "state", file, aside }, `moved ${file} aside to ${aside}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
