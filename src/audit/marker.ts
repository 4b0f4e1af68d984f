import { createHmac, timingSafeEqual } from "node:crypto";
import type { CommitOutcome } from "../reconcile/context.js";

/**
 * Deployment markers: one JSON document per outcome, POSTed to `report.notify.url` for chat and
 * incident tools. The raw body is signed with HMAC-SHA256 under a shared secret, in the header
 * `X-Gitdock-Signature: sha256=<hex>` (GitHub's webhook convention), so a receiver can tell a
 * marker from gitdock from a forged or altered one.
 */

export const SIGNATURE_HEADER = "X-Gitdock-Signature";

export interface DeploymentMarker {
  type: "gitdock.outcome";
  version: 1;
  host: string;
  commit: string;
  outcome: CommitOutcome["outcome"];
  at: string;
  reason?: string;
  /** For rollbacks: from the failed gate to the previous version serving again. */
  durationMs?: number;
  repo?: string;
  branch: string;
  path: string;
}

export function buildMarker(o: CommitOutcome, source: { repo: string | undefined; branch: string; path: string }): DeploymentMarker {
  return {
    type: "gitdock.outcome",
    version: 1,
    host: o.hostId,
    commit: o.commit,
    outcome: o.outcome,
    at: o.at,
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
    ...(source.repo !== undefined ? { repo: source.repo } : {}),
    branch: source.branch,
    path: source.path,
  };
}

/** `sha256=<hex>` over the exact bytes sent. */
export function signBody(body: string | Buffer, secret: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** For receivers (and tests): does `header` sign `body` under `secret`? Constant-time compare. */
export function verifyBodySignature(body: string | Buffer, header: string | undefined, secret: string | Buffer): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
