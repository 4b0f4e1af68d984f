import type Docker from "dockerode";
import { readdir, rm, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Logger } from "../log.js";
import type { StoreObject } from "../model.js";
import type { ResolvedState } from "../plan/types.js";
import { isUnder } from "../policy/host-paths.js";
import { readJsonFile, writeFileAtomic } from "../state/index.js";
import { FILES_PREFIX, storeDirOf, TMP_DIR, TREES_PREFIX } from "../manifest/files/store-layout.js";

/**
 * Which store objects each good commit mounts, by name (`sha256/<digest>`, `trees/<digest>`): only
 * digests gitdock computed, never paths or content from the repository. Kept in the state
 * directory next to images.json, outside the store itself.
 */
export interface FilesLedger {
  byCommit: Record<string, string[]>;
}

export const FILES_LEDGER = "files.json";

/** Temporary objects older than this are left over from a killed gitdock; younger ones may be in the making. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** Pure: the objects of the store that neither a kept commit nor a container uses. */
export function objectsToRemove(present: readonly string[], ledger: FilesLedger, keepCommits: readonly string[], inUse: ReadonlySet<string>): string[] {
  const keep = new Set(keepCommits.flatMap((c) => ledger.byCommit[c] ?? []));
  return present.filter((name) => !keep.has(name) && !inUse.has(name)).sort();
}

export interface StoreCleanup {
  docker: Docker;
  stateDir: string;
  /** The commit just rolled out healthy, and the objects it mounts. */
  commit: string;
  objects: readonly StoreObject[];
  /** state.json's goodHistory: newest first, at most GOOD_HISTORY_LIMIT. */
  goodHistory: readonly string[];
  log: Logger;
}

/**
 * After a healthy rollout: remember what this commit mounts, then remove every object that neither
 * it, nor any commit of the good history, nor any container on the Engine (a kept one included)
 * mounts. A rollback to a good commit then finds its files without Git; anything else removed is
 * made again from the commit's tree whenever it is needed. Never fails a rollout: problems are
 * logged and the next healthy rollout tries again.
 */
export async function cleanUpStore(opts: StoreCleanup): Promise<string[]> {
  try {
    const inUse = await objectsInUse(opts.docker, storeDirOf(opts.stateDir));
    const removed = await pruneStore({ ...opts, inUse });
    if (removed.length)
      opts.log.info({ stage: "cleanup", commit: opts.commit, files: removed.length }, `removed ${removed.length} unused file(s) from the store`);
    return removed;
  } catch (err) {
    opts.log.warn({ stage: "cleanup", err: String(err) }, "cleanup of the store of repository files failed; retried after the next rollout");
    return [];
  }
}

/** `cleanUpStore` for the rollout just recorded good, with the good history read from the state; never throws. */
export async function cleanUpStoreAfterRollout(
  ctx: { docker: Docker; settings: { stateDir: string }; store: { read(): Promise<{ goodHistory: string[] }> }; log: Logger },
  resolved: ResolvedState,
): Promise<void> {
  const goodHistory = await ctx.store.read().then(
    (s) => s.goodHistory,
    (err: unknown) =>
      void ctx.log.warn({ stage: "cleanup", err: String(err) }, "cleanup of the store of repository files skipped: the state could not be read"),
  );
  if (goodHistory === undefined) return;
  const objects = resolved.stacks.flatMap((s) => s.stack.storeObjects ?? []);
  await cleanUpStore({ docker: ctx.docker, stateDir: ctx.settings.stateDir, commit: resolved.commit, objects, goodHistory, log: ctx.log });
}

/** The file system side of the cleanup, given what containers mount (`inUse`, object names). */
export async function pruneStore(opts: Omit<StoreCleanup, "docker" | "log"> & { inUse: ReadonlySet<string> }): Promise<string[]> {
  const store = storeDirOf(opts.stateDir);
  const ledgerFile = join(opts.stateDir, FILES_LEDGER);
  const ledger = (await readJsonFile<FilesLedger>(ledgerFile)) ?? { byCommit: {} };
  const present = await storedObjects(store);
  // A host whose stacks never mounted a file of the repository gets no ledger at all.
  if (present.length === 0 && Object.keys(ledger.byCommit).length === 0 && opts.objects.length === 0) return [];
  ledger.byCommit[opts.commit] = [...new Set(opts.objects.map((o) => o.name))].sort();
  const keepCommits = [opts.commit, ...opts.goodHistory];
  const removed = objectsToRemove(present, ledger, keepCommits, opts.inUse);
  for (const name of removed) await rm(join(store, name), { recursive: true, force: true });
  await removeStaleTemporaries(store);
  for (const c of Object.keys(ledger.byCommit)) if (!keepCommits.includes(c)) delete ledger.byCommit[c];
  await writeFileAtomic(ledgerFile, `${JSON.stringify(ledger, null, 2)}\n`);
  return removed;
}

async function storedObjects(store: string): Promise<string[]> {
  const names: string[] = [];
  for (const prefix of [FILES_PREFIX, TREES_PREFIX]) {
    for (const entry of await readdir(join(store, prefix)).catch(() => [])) names.push(`${prefix}/${entry}`);
  }
  return names;
}

/** The objects every container on the Engine mounts (any agent's, running or not). */
export async function objectsInUse(docker: Docker, store: string): Promise<Set<string>> {
  const used = new Set<string>();
  for (const c of await docker.listContainers({ all: true })) {
    for (const m of c.Mounts ?? []) {
      if (m.Type !== "bind" || !isUnder(m.Source, store) || m.Source === store) continue;
      used.add(posix.relative(store, m.Source).split("/").slice(0, 2).join("/"));
    }
  }
  return used;
}

async function removeStaleTemporaries(store: string): Promise<void> {
  const dir = join(store, TMP_DIR);
  for (const entry of await readdir(dir).catch(() => [])) {
    const info = await stat(join(dir, entry)).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_TMP_MS) await rm(join(dir, entry), { recursive: true, force: true });
  }
}
