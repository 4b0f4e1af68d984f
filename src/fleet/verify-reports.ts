import { checkOutcomeSignature, type SignatureCheck } from "./outcome-signature.js";
import type { Fleet } from "./read-fleet-file.js";
import type { HostReport } from "./wave-rule.js";

/** One outcome line on a commit's note, parsed by the audit stage (audit/note-line.ts). */
export interface OutcomeLine {
  host: string;
  verb: string;
  /** ISO time to the second. */
  at: string;
  detail: string;
  /** The line as signed: everything before ` sshsig:`. */
  line: string;
  signature: string | undefined;
}

export interface IgnoredLine {
  host: string;
  why: Exclude<SignatureCheck, "valid"> | "unknown-host";
}

/** Why a line was not counted, in words for logs and `gitdock fleet status`. */
export const IGNORED_WHY: Record<IgnoredLine["why"], string> = {
  unsigned: "it carries no signature",
  "bad-signature": "its signature does not verify",
  "other-key": "it is signed by another key than the fleet file lists for that host",
  "unknown-host": "the fleet file declares no such host",
};

const VERBS = new Set<string>(["applied", "rolled-back", "rejected", "paused", "withdrawn"]);

/**
 * The lines the wave rule may count: written by a host the fleet file declares and signed by the
 * key it lists for that host, on this very commit. Everything else is returned as ignored, for
 * the caller to report; it never advances or holds a wave.
 */
export function verifyReports(fleet: Fleet, commit: string, lines: readonly OutcomeLine[]): { reports: HostReport[]; ignored: IgnoredLine[] } {
  const reports: HostReport[] = [];
  const ignored: IgnoredLine[] = [];
  for (const l of lines) {
    const host = fleet.hosts.get(l.host);
    if (!host || !VERBS.has(l.verb)) {
      ignored.push({ host: l.host, why: "unknown-host" });
      continue;
    }
    const check = checkOutcomeSignature(commit, l.line, l.signature, host.key);
    if (check !== "valid") ignored.push({ host: l.host, why: check });
    else reports.push({ host: l.host, verb: l.verb as HostReport["verb"], at: Date.parse(l.at), detail: l.detail });
  }
  return { reports, ignored };
}
