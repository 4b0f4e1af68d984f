import fs from "node:fs";
import { join } from "node:path";

/**
 * What a clone's object store holds on disk. isomorphic-git writes one pack (and its index) per
 * fetch and reads every index on a lookup, so the number of packs is what a repack bounds.
 */

/** The packs a reader can see (`pack-*.pack` with its `.idx`), by file name of the pack. */
export async function readPackNames(gitdir: string): Promise<string[]> {
  const names = await readdirOrEmpty(join(gitdir, "objects", "pack"));
  const indexes = new Set(names.filter((n) => /^pack-[0-9a-f]+\.idx$/.test(n)));
  return names.filter((n) => /^pack-[0-9a-f]+\.pack$/.test(n) && indexes.has(n.replace(/\.pack$/, ".idx"))).sort();
}

/** Loose objects' paths (`objects/xx/<38 hex>`), relative to `objects`. */
export async function readLooseObjects(gitdir: string): Promise<string[]> {
  const objects = join(gitdir, "objects");
  const out: string[] = [];
  for (const dir of await readdirOrEmpty(objects)) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const name of await readdirOrEmpty(join(objects, dir))) if (/^[0-9a-f]{38}$/.test(name)) out.push(join(dir, name));
  }
  return out;
}

/** The clones under the state directory (`source/<hash>.git`). */
export async function cloneGitdirs(stateDir: string): Promise<string[]> {
  const source = join(stateDir, "source");
  return (await readdirOrEmpty(source)).filter((n) => n.endsWith(".git")).map((n) => join(source, n));
}

/** Packs in every clone under the state directory (for `gitdock status`). */
export async function countClonePacks(stateDir: string): Promise<number> {
  let count = 0;
  for (const gitdir of await cloneGitdirs(stateDir)) count += (await readPackNames(gitdir)).length;
  return count;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw err;
  }
}
