import { lstat, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";

/** How much of the disk the state directory takes: what `du` would say, and how many files. */
export interface StateDirUsage {
  path: string;
  /** Bytes allocated on disk (blocks x 512), directories included. */
  bytes: number;
  files: number;
}

/**
 * Walks the state directory without following symlinks. Everything in it is bounded (see the
 * README's "The state directory"), so the walk is short; `gitdock status` shows the result.
 */
export async function measureStateDir(stateDir: string): Promise<StateDirUsage> {
  const path = resolve(stateDir);
  const usage = { path, bytes: 0, files: 0 };
  await walk(path, usage);
  return usage;
}

async function walk(path: string, usage: StateDirUsage): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // removed meanwhile (a temp file)
    throw err;
  }
  usage.bytes += st.blocks * 512;
  if (!st.isDirectory()) {
    usage.files++;
    return;
  }
  for (const name of await readdir(path).catch(() => [] as string[])) await walk(join(path, name), usage);
}
