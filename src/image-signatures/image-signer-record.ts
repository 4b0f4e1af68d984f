import { join } from "node:path";
import { readJsonFile, writeFileAtomic } from "../state/index.js";
import { shortImageSigner } from "./verdict.js";
import type { VerifiedImage } from "./verified-image.js";

/**
 * `image-signatures.json` in the state directory: who signed the images of recent commits, so
 * `gitdock status` can say it without a registry, and the outcome of a commit (git notes, markers)
 * can name its image signers. Public data only; newest first, at most RECORD_LIMIT commits.
 */
export interface ImageSignatureRecord {
  commit: string;
  at: string;
  images: VerifiedImage[];
}

export const IMAGE_SIGNATURES_FILE = "image-signatures.json";
const RECORD_LIMIT = 20;

export async function readImageSignatureRecords(stateDir: string): Promise<ImageSignatureRecord[]> {
  const data = await readJsonFile<unknown>(join(stateDir, IMAGE_SIGNATURES_FILE), {
    hint: `Move ${IMAGE_SIGNATURES_FILE} aside: it only feeds \`gitdock status\` and outcome reports, and is rebuilt as commits are verified.`,
  });
  return Array.isArray(data) ? data.filter(isRecord).map((r) => ({ ...r, images: r.images.filter(isImage) })) : [];
}

/** Keeps `record` (replacing the commit's earlier one); false when the same signers were already recorded. */
export async function recordImageSignatures(stateDir: string, record: ImageSignatureRecord): Promise<boolean> {
  const existing = await readImageSignatureRecords(stateDir).catch(() => []);
  const known = existing.find((r) => r.commit === record.commit);
  if (known && sameSigners(known.images, record.images)) return false;
  const next = [record, ...existing.filter((r) => r.commit !== record.commit)].slice(0, RECORD_LIMIT);
  await writeFileAtomic(join(stateDir, IMAGE_SIGNATURES_FILE), `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  return true;
}

/** Each distinct signer with how many of the images it signed, most first: `key SHA256:… (3)`. */
export function signerSummary(images: readonly VerifiedImage[]): string[] {
  const counts = new Map<string, number>();
  for (const i of images) counts.set(shortImageSigner(i.signer), (counts.get(shortImageSigner(i.signer)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([signer, n]) => `${signer} (${n})`);
}

function sameSigners(a: readonly VerifiedImage[], b: readonly VerifiedImage[]): boolean {
  const key = (list: readonly VerifiedImage[]) => JSON.stringify(list.map((i) => [i.stack, i.service, i.image, shortImageSigner(i.signer)]).sort());
  return key(a) === key(b);
}

function isImage(v: unknown): v is VerifiedImage {
  const signer = typeof v === "object" && v !== null ? (v as VerifiedImage).signer : undefined;
  return typeof (v as VerifiedImage).image === "string" && (signer?.kind === "key" || signer?.kind === "keyless");
}

function isRecord(v: unknown): v is ImageSignatureRecord {
  return typeof v === "object" && v !== null && typeof (v as ImageSignatureRecord).commit === "string" && Array.isArray((v as ImageSignatureRecord).images);
}
