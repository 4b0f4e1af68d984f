import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { ConfigInvalidError } from "../errors.js";
import { COMPOSE_FILE_NAMES } from "../manifest/index.js";

/** Compose's override files, merged over the main file next to them: their images are deployed too. */
export const OVERRIDE_FILE_NAMES: readonly string[] = [
  "compose.override.yaml",
  "compose.override.yml",
  "docker-compose.override.yaml",
  "docker-compose.override.yml",
];

const PINNED_NAMES = new Set([...COMPOSE_FILE_NAMES, ...OVERRIDE_FILE_NAMES]);
/** As `gitdock validate`: a directory without stacks close by is searched this deep for host paths. */
const MAX_DEPTH = 4;

export interface PinFile {
  /** As the user will look it up: relative to the working directory when inside it. */
  display: string;
  /** The file itself (symlinks resolved), which is what gets rewritten. */
  real: string;
}

/**
 * The files `gitdock pin` reads. A file named on the command line is read whatever its name (an
 * override, `docker-compose.prod.yml`). A directory is searched as `gitdock validate` searches it:
 * the compose files in it and one level below (and the override files beside them); a directory
 * with none that close is searched for such directories below, a few levels deep.
 */
export async function findPinFiles(targets: string[]): Promise<PinFile[]> {
  const found = new Map<string, PinFile>();
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (!info) throw new ConfigInvalidError(`${target}: no such file or directory`);
    const paths = info.isFile() ? [target] : await hostPathFiles(target, 0);
    for (const path of paths) {
      const real = await realpath(path);
      if (!found.has(real)) found.set(real, { display: displayPath(path), real });
    }
  }
  return [...found.values()];
}

async function hostPathFiles(dir: string, depth: number): Promise<string[]> {
  const near = await composeFilesWithin(dir);
  if (near.some((p) => COMPOSE_FILE_NAMES.includes(basename(p)))) return near;
  if (depth >= MAX_DEPTH) return [];
  const files: string[] = [];
  for (const sub of await subdirectories(dir)) files.push(...(await hostPathFiles(join(dir, sub), depth + 1)));
  return files;
}

/** Compose and override files directly in `dir` and in its subdirectories, sorted. */
async function composeFilesWithin(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && PINNED_NAMES.has(entry.name)) paths.push(join(dir, entry.name));
  }
  for (const sub of await subdirectories(dir)) {
    for (const child of await readdir(join(dir, sub), { withFileTypes: true })) {
      if (child.isFile() && PINNED_NAMES.has(child.name)) paths.push(join(dir, sub, child.name));
    }
  }
  return paths.sort();
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules")
    .map((e) => e.name)
    .sort();
}

function displayPath(path: string): string {
  const abs = resolve(path);
  const rel = relative(process.cwd(), abs);
  return rel === "" || rel.startsWith("..") ? abs : rel;
}
