import { randomBytes } from "node:crypto";
import { lstat, mkdir, open, readFile, rename, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { HostInputError } from "../errors.js";
import type { DecryptedFileObject } from "../model.js";

/** statfs f_type of the file systems that keep their files in memory only. */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/**
 * Writes the decrypted secrets and configs a desired state mounts into the secrets runtime
 * directory, before the first change: each file under a temporary name, given its mode and owner,
 * and renamed into place, so a container never mounts a half-written one. A file already there
 * with the same content, mode and owner is left alone. The directory must be on a tmpfs (or
 * ramfs), so plaintext never reaches a disk: a reboot empties it, and the next pass (the agent's
 * start does one) writes it again before anything that needs it is started.
 */
export async function materializeDecrypted(objects: readonly DecryptedFileObject[]): Promise<void> {
  const unique = new Map(objects.map((o) => [join(o.store, o.name), o]));
  for (const dir of new Set(objects.map((o) => o.store))) await prepareRuntimeDir(dir);
  for (const [path, object] of unique) {
    try {
      if (!(await isIntact(path, object))) await place(path, object);
    } catch (err) {
      throw new HostInputError(`cannot write the decrypted file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: "Check that the secrets runtime directory (secrets.runtime_dir) is a writable tmpfs; the next pass tries again.",
        cause: err,
      });
    }
  }
}

/** The directory, made mode 0700 when missing, and refused unless it is on a tmpfs. */
export async function prepareRuntimeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new HostInputError(`cannot make the secrets runtime directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "Create it on a tmpfs (under /run, or the systemd unit's RuntimeDirectory=gitdock), or set secrets.runtime_dir.",
    });
  }
  const info = await lstat(dir);
  if (!info.isDirectory())
    throw new HostInputError(`the secrets runtime directory ${dir} is not a directory`, { hint: "Remove what is there; gitdock makes the directory itself." });
  const fs = await statfs(dir);
  if (fs.type !== TMPFS_MAGIC && fs.type !== RAMFS_MAGIC) {
    throw new HostInputError(`the secrets runtime directory ${dir} is not on a tmpfs: decrypted secrets would be written to a disk`, {
      hint: `Mount a tmpfs there (\`mount -t tmpfs -o mode=0700,size=16m tmpfs ${dir}\`, or an fstab line), or point secrets.runtime_dir at a directory under /run on a systemd host.`,
    });
  }
}

async function isIntact(path: string, object: DecryptedFileObject): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return false;
  if (!info.isFile()) {
    await rm(path, { recursive: true, force: true });
    return false;
  }
  if (info.size !== object.content.length || (info.mode & 0o7777) !== object.mode) return false;
  if ((object.uid !== undefined && info.uid !== object.uid) || (object.gid !== undefined && info.gid !== object.gid)) return false;
  const have = await readFile(path);
  try {
    return have.equals(Buffer.from(object.content.bytes()));
  } finally {
    have.fill(0);
  }
}

async function place(path: string, object: DecryptedFileObject): Promise<void> {
  const tmp = join(object.store, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(object.content.bytes());
      await fh.chmod(object.mode);
      if (object.uid !== undefined || object.gid !== undefined) await fh.chown(object.uid ?? -1, object.gid ?? -1);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}
