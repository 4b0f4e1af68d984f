import { randomBytes } from "node:crypto";
import { open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` (already resolved through symlinks, so a link stays a link) with `content`:
 * a temp file beside it with the same mode and owner, then a rename, so an interrupted run leaves the old
 * file or the new one, never half of each.
 */
export async function writePinnedFile(path: string, content: Buffer): Promise<void> {
  const { mode, uid, gid } = await stat(path);
  const tmp = join(dirname(path), `.${basename(path)}.gitdock-pin.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "wx", mode & 0o7777);
    try {
      // The same owner, where this user may give it (root may; anyone else already owns the file).
      await fh.chown(uid, gid).catch(() => undefined);
      await fh.chmod(mode & 0o7777);
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
