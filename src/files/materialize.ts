import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FileStoreError } from "../errors.js";
import type { StoredFile, StoreObject } from "../model.js";
import { DIRECTORY_MODE, FILES_PREFIX, TMP_DIR, TREES_PREFIX } from "../manifest/files/store-layout.js";

/**
 * Makes the store objects a desired state mounts, before the first change of the host: each file
 * (and each directory's files) written once under a temporary name, given its mode and owner, and
 * renamed into place, so a container never mounts a half-written object. An object already there
 * with the right size, mode and owner is left alone: its name is its content's digest. Writing
 * into gitdock's own store changes no service of the host, so `gitdock plan` does it too.
 */
export async function materializeStore(objects: readonly StoreObject[]): Promise<void> {
  const unique = new Map(objects.map((o) => [join(o.store, o.name), o]));
  for (const store of new Set(objects.map((o) => o.store))) await prepareStore(store);
  for (const [path, object] of unique) {
    try {
      if (object.kind === "file") await placeFile(path, object.store, object.file);
      else await placeTree(path, object);
    } catch (err) {
      throw storeError(path, err);
    }
  }
}

async function prepareStore(store: string): Promise<void> {
  try {
    // Only root reaches the store; containers see single objects through their read-only mounts.
    await mkdir(store, { recursive: true, mode: 0o700 });
    for (const dir of [FILES_PREFIX, TREES_PREFIX, TMP_DIR]) await mkdir(join(store, dir), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw storeError(store, err);
  }
}

async function placeFile(path: string, store: string, file: StoredFile): Promise<void> {
  if (await fileIsIntact(path, file)) return;
  const tmp = tempPath(store);
  try {
    await writeStoredFile(tmp, file);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Right size, mode and owner, and a regular file (never a symlink): its content is its name's digest. */
async function fileIsIntact(path: string, file: StoredFile): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile()) {
    if (info) await rm(path, { recursive: true, force: true });
    return false;
  }
  return (
    info.size === file.content.byteLength &&
    (info.mode & 0o7777) === file.mode &&
    (file.uid === undefined || info.uid === file.uid) &&
    (file.gid === undefined || info.gid === file.gid)
  );
}

async function writeStoredFile(path: string, file: StoredFile): Promise<void> {
  const fh = await open(path, "wx", 0o600);
  try {
    await fh.writeFile(file.content);
    await fh.sync();
    // Set explicitly so the umask plays no part; before chown, which then needs only CAP_CHOWN (modes
    // from the repository never carry the setuid-like bits a chown would clear).
    await fh.chmod(file.mode);
    if (file.uid !== undefined || file.gid !== undefined) await fh.chown(file.uid ?? -1, file.gid ?? -1);
  } finally {
    await fh.close();
  }
}

/** A directory is built whole under a temporary name, made read-only, and renamed into place. */
async function placeTree(path: string, tree: Extract<StoreObject, { kind: "tree" }>): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory()) return;
  if (existing) await rm(path, { force: true });
  const tmp = tempPath(tree.store);
  try {
    await mkdir(tmp, { mode: 0o700 });
    for (const dir of tree.dirs) await mkdir(join(tmp, safeRelative(dir)), { recursive: true, mode: 0o700 });
    for (const f of tree.files) {
      const target = join(tmp, safeRelative(f.path));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeStoredFile(target, f.file);
    }
    // Deepest first, so each directory is still writable while its children are set.
    const dirs = [...tree.dirs].sort((a, b) => b.split("/").length - a.split("/").length);
    for (const dir of dirs) await chmod(join(tmp, dir), DIRECTORY_MODE);
    await chmod(tmp, DIRECTORY_MODE);
    await rename(tmp, path).catch(async (err: NodeJS.ErrnoException) => {
      // Made meanwhile by another gitdock (a `plan` next to the agent): the same content by its name.
      if ((err.code !== "ENOTEMPTY" && err.code !== "EEXIST") || !(await lstat(path)).isDirectory()) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Paths come from the commit's tree, which has no "." or ".." components; checked again before writing. */
function safeRelative(path: string): string {
  if (path.split("/").some((part) => part === "" || part === "." || part === "..")) throw new Error(`unsafe path "${path}" in a stored directory`);
  return path;
}

function tempPath(store: string): string {
  return join(store, TMP_DIR, `${process.pid}.${randomBytes(6).toString("hex")}`);
}

function storeError(path: string, err: unknown): FileStoreError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new FileStoreError(`cannot write ${path} in gitdock's store of repository files: ${code}`, {
    hint: "Check that the state directory is writable by gitdock (root) and that its file system is not full; the next pass tries again.",
    cause: err,
    data: { path },
  });
}
