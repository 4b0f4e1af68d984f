import { createHash } from "node:crypto";
import { posix, resolve } from "node:path";
import type { StoredFile } from "../../model.js";
import { byCodePoint } from "../../order.js";

/**
 * How gitdock's store of repository files is laid out. Objects are named by their content, so a
 * changed file is a new object with a new path, and a container's mount source (part of its spec
 * hash) changes exactly when the content, mode or owner it sees does:
 *
 *   <state_dir>/files/sha256/<digest>                    a file, mode 0444, owned by root
 *   <state_dir>/files/sha256/<digest>.<mode>[.<uid>.<gid>] a file with another mode or owner
 *   <state_dir>/files/trees/<digest of the listing>/      a directory: its files and subdirectories
 *   <state_dir>/files/tmp/                                objects being written (renamed into place)
 */

/** The store's directory under the state directory. */
export const STORE_DIR_NAME = "files";

/** A single file mounted from the repository (a directory's files each count). */
export const MAX_STORED_FILE_BYTES = 8 * 1024 * 1024;

/** Everything one commit mounts from the repository, each store object counted once. */
export const MAX_STORED_BYTES_PER_COMMIT = 32 * 1024 * 1024;

/** Files from Git are read-only; Git's executable bit is kept. */
export const FILE_MODE = 0o444;
export const EXECUTABLE_MODE = 0o555;
export const DIRECTORY_MODE = 0o555;

export const FILES_PREFIX = "sha256";
export const TREES_PREFIX = "trees";
export const TMP_DIR = "tmp";

/** The store of a state directory, as an absolute path (bind sources must be absolute). */
export function storeDirOf(stateDir: string): string {
  return posix.join(resolve(stateDir), STORE_DIR_NAME);
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `sha256/<digest>` for the default mode and owner; otherwise the mode (octal) and owner follow. */
export function fileObjectName(file: StoredFile): string {
  const hex = sha256Hex(file.content);
  const defaultOwner = file.uid === undefined && file.gid === undefined;
  if (defaultOwner && file.mode === FILE_MODE) return `${FILES_PREFIX}/${hex}`;
  const mode = file.mode.toString(8).padStart(4, "0");
  return `${FILES_PREFIX}/${hex}.${mode}${defaultOwner ? "" : `.${file.uid ?? "-"}.${file.gid ?? "-"}`}`;
}

/**
 * `trees/<digest>`: the digest of the directory's listing — each file's path, mode and content
 * digest, and each subdirectory — so two directories with the same files share one object.
 */
export function treeObjectName(files: readonly { path: string; file: StoredFile }[], dirs: readonly string[]): string {
  const hash = createHash("sha256");
  for (const dir of [...dirs].sort(byCodePoint)) hash.update(`d\0${dir}\0`);
  for (const f of [...files].sort((a, b) => byCodePoint(a.path, b.path))) {
    hash.update(`f\0${f.file.mode.toString(8)}\0${sha256Hex(f.file.content)}\0${f.path}\0`);
  }
  return `${TREES_PREFIX}/${hash.digest("hex")}`;
}
