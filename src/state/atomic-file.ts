import { randomBytes } from "node:crypto";
import { link, open, readFile, readdir, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StateError } from "../errors.js";
import { isProcessAlive } from "./process-alive.js";

/**
 * Crash-safe file writes for the state directory: a reader sees the old file or the new one,
 * never a mix, and once a write has returned it survives a power cut.
 *
 * Temp files are named `.<target>.<pid>.<random>.tmp` in the target's directory, so that a
 * rename never crosses file systems and temp files left by a killed process can be found and
 * removed (removeStaleTempFiles).
 */

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

function writeError(path: string, err: unknown): StateError {
  if (err instanceof StateError) return err;
  return new StateError(`cannot write ${path}: ${(err as Error).message}`, {
    hint: "Check that the state directory is writable by the user gitdock runs as and that the disk is not full.",
    data: { file: path },
    cause: err,
  });
}

/** fsync a directory so that a rename or link in it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (err) {
    // Some file systems cannot open or fsync a directory; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EACCES") throw err;
  } finally {
    await fh?.close();
  }
}

/** Writes `data` to a new temp file next to `path`, with the exact mode, and fsyncs it. */
async function writeTemp(path: string, data: string | Buffer, mode: number): Promise<string> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.chmod(mode); // open's mode is filtered by the umask; the caller asked for this one
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/**
 * Replaces `path` atomically: temp file in the same directory, fsync, rename over the target,
 * fsync the directory. Mode defaults to 0600: everything in the state directory is private.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
  let tmp: string | undefined;
  try {
    tmp = await writeTemp(path, data, opts.mode ?? 0o600);
    await rename(tmp, path);
    tmp = undefined;
    await fsyncDir(dirname(path));
  } catch (err) {
    if (tmp !== undefined) await unlink(tmp).catch(() => undefined);
    throw writeError(path, err);
  }
}

/**
 * Creates `path` with `data` only if it does not exist yet, atomically: the file appears with
 * its whole content or not at all (temp file, fsync, hard link, which fails when the target
 * exists). Returns false when the file already existed; it is then left as it was.
 */
export async function writeFileExclusive(path: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<boolean> {
  let tmp: string | undefined;
  try {
    tmp = await writeTemp(path, data, opts.mode ?? 0o600);
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw err;
    }
    await fsyncDir(dirname(path));
    return true;
  } catch (err) {
    throw writeError(path, err);
  } finally {
    if (tmp !== undefined) await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Reads and parses a JSON file. Undefined when it does not exist; a StateError naming the file
 * and what to do when it cannot be read or is not JSON. `hint` overrides the generic advice.
 */
export async function readJsonFile<T>(path: string, opts: { hint?: string } = {}): Promise<T | undefined> {
  const bytes = await readStateFile(path);
  if (bytes === undefined) return undefined;
  const text = bytes.toString("utf8");
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StateError(`${path} is corrupt: ${(err as Error).message}`, {
      hint: opts.hint ?? `Restore ${path} from a backup, or move it aside to start that file afresh.`,
      data: { file: path },
      cause: err,
    });
  }
}

/** Removes temp files in `dir` left by gitdock processes that no longer run. Returns their names. */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw writeError(join(dir, name), err);
    }
  }
  return removed;
}

/** A state file's bytes; undefined when it does not exist, a StateError naming it when it cannot be read. */
export async function readStateFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateError(`cannot read ${path}: ${(err as Error).message}`, {
      hint: "Check that the state directory is readable by the user gitdock runs as.",
      data: { file: path },
      cause: err,
    });
  }
}
