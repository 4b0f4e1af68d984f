import { join } from "node:path";
import { readJsonFile, writeFileAtomic } from "../state/index.js";
import type { Signer, SignatureFailure } from "./verify-signature.js";

/**
 * `signatures.json` in the state directory: what verification found for recent commits, so
 * `gitdock status` can say which key signed the running commit without Git access. Public data
 * only (fingerprints and principals); newest first, at most RECORD_LIMIT commits.
 */
export interface SignatureRecord {
  commit: string;
  at: string;
  status: "valid" | SignatureFailure;
  signer?: Signer;
  reason?: string;
}

export const SIGNATURES_FILE = "signatures.json";
const RECORD_LIMIT = 50;

export async function readSignatureRecords(stateDir: string): Promise<SignatureRecord[]> {
  const data = await readJsonFile<unknown>(join(stateDir, SIGNATURES_FILE), {
    hint: `Move ${SIGNATURES_FILE} aside: it only feeds \`gitdock status\` and is rebuilt as commits are verified.`,
  });
  return Array.isArray(data) ? data.filter(isRecord) : [];
}

export async function recordSignature(stateDir: string, record: SignatureRecord): Promise<void> {
  const existing = await readSignatureRecords(stateDir).catch(() => []);
  const next = [record, ...existing.filter((r) => r.commit !== record.commit)].slice(0, RECORD_LIMIT);
  await writeFileAtomic(join(stateDir, SIGNATURES_FILE), `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
}

export function describeSigner(r: SignatureRecord | undefined): string {
  if (!r) return "not verified";
  if (r.status === "valid" && r.signer) return `${r.signer.format} key ${r.signer.fingerprint} (${r.signer.principal})`;
  return `${r.status}${r.reason ? `: ${r.reason}` : ""}`;
}

function isRecord(v: unknown): v is SignatureRecord {
  return typeof v === "object" && v !== null && typeof (v as SignatureRecord).commit === "string" && typeof (v as SignatureRecord).status === "string";
}
