import { randomBytes } from "node:crypto";
import { readFile, rename, unlink, link } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StateError } from "../errors.js";
import { writeFileExclusive } from "./atomic-file.js";
import { isProcessAlive, processStartTime } from "./process-alive.js";
import { ensureStateDir, STATE_FILES } from "./state-dir.js";

/**
 * One reconcile at a time per state directory, across processes: the lock file
 * `reconcile.lock` names its holder. It is created exclusively with its content already in it
 * (temp file + hard link, which fails when the lock exists): unlike `open(wx)` followed by a
 * write, no other process can ever see an empty or half-written lock.
 *
 * A lock whose holder is no longer alive (killed, even by SIGKILL) is stale and is taken over.
 * "Alive" compares the process start time too (Linux /proc), so a PID reused by an unrelated
 * process does not keep the lock forever. The holder's PID is judged in this process's PID
 * namespace: two gitdock containers sharing one state directory must share a PID namespace.
 */

export type Release = () => Promise<void>;

export interface LockOptions {
  /** Wait for a live holder to finish instead of failing at once. */
  wait?: boolean;
  /** With `wait`: give up after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** With `wait`: how often to look again. Default 250 ms. */
  pollMs?: number;
}

export interface LockHolder {
  pid: number;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The holder's process start time (/proc), to recognize a reused PID. */
  procStart?: string;
  host: string;
  /** Makes each lock file's content unique, so a takeover can tell which lock it removed. */
  nonce: string;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_POLL_MS = 250;
const MAX_TAKEOVERS = 100;

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(v.pid) && typeof v.startedAt === "string") return v as LockHolder;
  } catch {
    // an unreadable lock names no live holder
  }
  return undefined;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Who holds the lock of `stateDir`, if anyone alive does (for `gitdock status`). */
export async function readLockHolder(stateDir: string): Promise<LockHolder | undefined> {
  const text = await readText(join(stateDir, STATE_FILES.lock));
  const holder = text === undefined ? undefined : parseHolder(text);
  return holder !== undefined && isProcessAlive(holder.pid, holder.procStart) ? holder : undefined;
}

/**
 * Removes the lock file if it still has the content `seen` (judged stale). The lock is first
 * renamed to a private name, which is atomic; if what was moved is not the stale lock (another
 * process took over and locked in between), it is put back.
 */
async function removeStale(path: string, seen: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    if ((await readText(aside)) !== seen) {
      await link(aside, path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

function busyError(holder: LockHolder, path: string, waitedMs?: number): StateError {
  const base = `another gitdock (pid ${holder.pid}) is reconciling this host`;
  return new StateError(waitedMs === undefined ? `${base} (since ${holder.startedAt})` : `${base}; gave up waiting after ${Math.round(waitedMs / 1000)}s`, {
    hint: `Wait for it to finish, or run with --wait. If no gitdock process ${holder.pid} is running, remove ${path}.`,
    data: { pid: holder.pid, startedAt: holder.startedAt, host: holder.host, lockFile: path },
  });
}

export async function acquireLock(stateDir: string, opts: LockOptions = {}): Promise<Release> {
  const dir = await ensureStateDir(stateDir);
  const path = join(dir, STATE_FILES.lock);
  const me: LockHolder = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    procStart: processStartTime(),
    host: hostname(),
    nonce: randomBytes(8).toString("hex"),
  };
  const content = `${JSON.stringify(me)}\n`;
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  try {
    for (let takeovers = 0; ;) {
      if (await writeFileExclusive(path, content, { mode: 0o600 })) return releaser(path, content);
      const seen = await readText(path);
      if (seen === undefined) continue; // released just now
      const holder = parseHolder(seen);
      if (holder === undefined || !isProcessAlive(holder.pid, holder.procStart)) {
        if (++takeovers > MAX_TAKEOVERS) {
          throw new StateError(`cannot take over the stale lock ${path}`, { hint: `Remove ${path} by hand.`, data: { lockFile: path } });
        }
        await removeStale(path, seen);
        continue;
      }
      if (!opts.wait) throw busyError(holder, path);
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw busyError(holder, path, waited);
      await sleep(Math.min(opts.pollMs ?? DEFAULT_POLL_MS, timeoutMs - waited));
    }
  } catch (err) {
    if (err instanceof StateError) throw err;
    throw new StateError(`cannot take the lock ${path}: ${(err as Error).message}`, {
      hint: "Check that the state directory is writable by the user gitdock runs as.",
      data: { lockFile: path },
      cause: err,
    });
  }
}

/** Removes the lock if it is still ours. Calling it again does nothing. */
function releaser(path: string, content: string): Release {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      if ((await readText(path)) === content) await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new StateError(`cannot remove the lock ${path}: ${(err as Error).message}`, {
        hint: `Remove ${path} by hand if no gitdock is running.`,
        data: { lockFile: path },
        cause: err,
      });
    }
  };
}
