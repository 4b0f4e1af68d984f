import fs from "node:fs";
import { join } from "node:path";
import { isProcessAlive, writeFileAtomic } from "../state/index.js";
import { readLooseObjects, readPackNames } from "./clone-packs.js";
import { collectKeptObjects, type KeepSpec } from "./kept-objects.js";
import { REPACK_TEMP_PREFIX, writePack } from "./write-pack.js";

/** More packs than this and the clone is repacked into one (each fetch adds one; every lookup reads every index). */
export const MAX_PACKS = 8;
/** A pack without its index this old is a crash's leftover, not a fetch still writing its index. */
const ORPHAN_PACK_AGE_MS = 60 * 60_000;

export type RepackStep = "pack-written" | "shallow-written";

export interface RepackResult {
  repacked: boolean;
  packsBefore: number;
  /** The commits and objects the new pack holds. */
  commits?: number;
  objects?: number;
  /** Old packs and loose objects removed. */
  removedPacks?: number;
  removedLoose?: number;
}

/**
 * Consolidates a clone that holds more than `maxPacks` packs into one pack of the objects still
 * needed (`spec`: the recent history from the branch tips and the pinned commits, each with its
 * whole tree); the rest goes. Crash-safe: the new pack and its index are complete on disk before
 * anything else changes, then the `shallow` file is replaced (it names the kept commits whose
 * parents are gone, for the next fetch's negotiation), and only then are the old packs and the
 * loose objects removed, each old pack's index before its pack. A kill at any point leaves every
 * kept object readable; the next repack finishes the job and removes a killed one's leftovers.
 *
 * The caller holds the reconcile lock (so no fetch writes into the clone meanwhile). A
 * `gitdock history` reading the clone at that very moment may fail to read a pack that was just
 * removed; run it again. `onStep` lets a test stop the repack between its steps.
 */
export async function repackClone(
  gitdir: string,
  spec: KeepSpec,
  opts: { maxPacks?: number; onStep?: (step: RepackStep) => void | Promise<void> } = {},
): Promise<RepackResult> {
  const packs = await readPackNames(gitdir);
  if (packs.length <= (opts.maxPacks ?? MAX_PACKS)) return { repacked: false, packsBefore: packs.length };
  await removeLeftovers(gitdir);
  const cache = {};
  const kept = await collectKeptObjects(gitdir, spec, cache);
  const pack = await writePack(gitdir, kept.oids, cache);
  await opts.onStep?.("pack-written");
  await writeFileAtomic(join(gitdir, "shallow"), kept.boundary.length ? `${[...kept.boundary].sort().join("\n")}\n` : "");
  await opts.onStep?.("shallow-written");
  const old = packs.filter((p) => p !== pack);
  for (const p of old) await removePack(gitdir, p);
  const loose = await readLooseObjects(gitdir);
  for (const rel of loose) await fs.promises.rm(join(gitdir, "objects", rel), { force: true });
  return {
    repacked: true,
    packsBefore: packs.length,
    commits: kept.commits.length,
    objects: kept.oids.length,
    removedPacks: old.length,
    removedLoose: loose.length,
  };
}

/** The index first: without it readers no longer look into the pack. */
async function removePack(gitdir: string, pack: string): Promise<void> {
  const dir = join(gitdir, "objects", "pack");
  await fs.promises.rm(join(dir, pack.replace(/\.pack$/, ".idx")), { force: true });
  await fs.promises.rm(join(dir, pack), { force: true });
}

/** Temporary directories of repacks that were killed, and packs whose index was never moved in. */
async function removeLeftovers(gitdir: string): Promise<void> {
  const dir = join(gitdir, "objects", "pack");
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(REPACK_TEMP_PREFIX) ? Number(name.slice(REPACK_TEMP_PREFIX.length).split("-")[0]) : undefined;
    // This process runs one repack at a time: its own leftovers are a failed one's.
    if (pid !== undefined && (pid === process.pid || !isProcessAlive(pid))) await fs.promises.rm(join(dir, name), { recursive: true, force: true });
    if (/^pack-[0-9a-f]+\.pack$/.test(name) && !names.includes(name.replace(/\.pack$/, ".idx"))) {
      const age = Date.now() - (await fs.promises.stat(join(dir, name))).mtimeMs;
      if (age > ORPHAN_PACK_AGE_MS) await fs.promises.rm(join(dir, name), { force: true });
    }
  }
}
