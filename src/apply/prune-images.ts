import type Docker from "dockerode";
import { join } from "node:path";
import { engineStatus } from "../engine/docker-client.js";
import type { Logger } from "../log.js";
import { readJsonFile, writeFileAtomic } from "../state/index.js";

/**
 * Which images gitdock pulled itself, and which images each good commit used. Only images in
 * `pulled` are ever removed: an image someone else put on the host is never touched.
 */
export interface ImageLedger {
  pulled: Record<string, string>;
  byCommit: Record<string, string[]>;
}

/** The running commit plus this many earlier good commits keep their images (rollback never waits on a registry). */
export const KEEP_PREVIOUS_GOOD = 2;

const FILE = "images.json";

export async function readImageLedger(stateDir: string): Promise<ImageLedger> {
  return (await readJsonFile<ImageLedger>(join(stateDir, FILE))) ?? { pulled: {}, byCommit: {} };
}

/** Pure: the pulled images that neither the kept commits nor the running containers use. */
export function imagesToRemove(ledger: ImageLedger, keepCommits: string[], inUse: Set<string>): string[] {
  const keep = new Set(keepCommits.flatMap((c) => ledger.byCommit[c] ?? []));
  return Object.keys(ledger.pulled)
    .filter((image) => !keep.has(image) && !inUse.has(image))
    .sort();
}

/** Remember images gitdock pulled, as soon as they are pulled (a failed rollout's images get cleaned up too). */
export async function recordPulledImages(stateDir: string, images: string[]): Promise<void> {
  if (!images.length) return;
  const ledger = await readImageLedger(stateDir);
  const at = new Date().toISOString();
  for (const image of images) ledger.pulled[image] ??= at;
  await writeLedger(stateDir, ledger);
}

/**
 * After a healthy rollout: remember what this commit uses, then remove the pulled images no kept
 * commit needs. A removal the Engine refuses (image in use) is retried after the next rollout.
 */
export async function pruneImages(opts: {
  docker: Docker;
  stateDir: string;
  commit: string;
  images: string[];
  goodHistory: string[];
  log: Logger;
}): Promise<string[]> {
  const ledger = await readImageLedger(opts.stateDir);
  ledger.byCommit[opts.commit] = [...new Set(opts.images)].sort();
  const keepCommits = [opts.commit, ...opts.goodHistory.filter((c) => c !== opts.commit).slice(0, KEEP_PREVIOUS_GOOD)];
  const inUse = new Set((await opts.docker.listContainers({ all: true })).map((c) => c.Image));
  const removed: string[] = [];
  for (const image of imagesToRemove(ledger, keepCommits, inUse)) {
    try {
      await opts.docker.getImage(image).remove();
      removed.push(image);
      delete ledger.pulled[image];
    } catch (err) {
      if (engineStatus(err) === 404) delete ledger.pulled[image];
      else opts.log.warn({ image, err: String(err) }, "image kept: the Engine refused to remove it");
    }
  }
  for (const c of Object.keys(ledger.byCommit)) if (!keepCommits.includes(c)) delete ledger.byCommit[c];
  await writeLedger(opts.stateDir, ledger);
  if (removed.length) opts.log.info({ stage: "cleanup", commit: opts.commit, images: removed }, `removed ${removed.length} unused image(s)`);
  return removed;
}

async function writeLedger(stateDir: string, ledger: ImageLedger): Promise<void> {
  await writeFileAtomic(join(stateDir, FILE), `${JSON.stringify(ledger, null, 2)}\n`);
}
