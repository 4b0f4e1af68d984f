import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import git from "isomorphic-git";
import { fsyncDir } from "../state/index.js";

/** Where a repack builds its pack and index before they are moved into `objects/pack`. */
export const REPACK_TEMP_PREFIX = ".gitdock-repack-";

/**
 * Writes one pack holding exactly `oids`, with its index, into `objects/pack`, so that a reader
 * sees either no new pack or a complete one: both files are written and fsynced in a temporary
 * directory first (readers look only at `objects/pack/*.idx`), then the pack is moved in, then its
 * index (the rename that makes it visible), then the directory is fsynced. Returns the pack's
 * file name (`pack-<sha>.pack`).
 */
export async function writePack(gitdir: string, oids: string[], cache: object): Promise<string> {
  const packDir = join(gitdir, "objects", "pack");
  const temp = join(packDir, `${REPACK_TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`);
  await fs.promises.mkdir(temp, { recursive: true, mode: 0o700 });
  try {
    const { filename, packfile } = await git.packObjects({ fs, gitdir, oids, cache });
    await writeDurably(join(temp, filename), packfile!);
    // indexPack reads `<dir>/<filepath>` and writes the .idx beside it: here, still in the temp directory.
    const indexed = await git.indexPack({ fs, dir: temp, gitdir, filepath: filename, cache });
    if (indexed.oids.length !== new Set(oids).size) {
      throw new Error(`the new pack ${filename} indexes ${indexed.oids.length} objects where ${new Set(oids).size} were packed`);
    }
    const index = filename.replace(/\.pack$/, ".idx");
    await fsyncFile(join(temp, index));
    await fs.promises.rename(join(temp, filename), join(packDir, filename));
    await fs.promises.rename(join(temp, index), join(packDir, index));
    await fsyncDir(packDir);
    return filename;
  } finally {
    await fs.promises.rm(temp, { recursive: true, force: true });
  }
}

async function writeDurably(path: string, data: Uint8Array): Promise<void> {
  const fh = await fs.promises.open(path, "wx", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await fs.promises.open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
