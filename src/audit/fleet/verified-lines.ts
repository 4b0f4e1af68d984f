import { checkOutcomeSignature } from "../../fleet/outcome-signature.js";
import type { Fleet } from "../../fleet/read-fleet-file.js";
import type { OutcomeLine } from "../../fleet/verify-reports.js";
import type { HostReport } from "../../fleet/wave-rule.js";
import { outcomeLineOf } from "../note-line.js";

/** The outcome lines of one commit's note (text that is not gitdock's line, a person's note, is skipped). */
export function outcomeLinesOf(noteLines: readonly string[]): OutcomeLine[] {
  return noteLines.map(outcomeLineOf).filter((l) => l !== undefined);
}

/**
 * Each wanted host's newest line on the commit that verifies against its key in the fleet file,
 * checking its lines newest first and stopping at the first good one: beyond the commits it shows,
 * `fleet status` only asks what each host ran, and a signature check is its largest cost per line.
 */
export function newestVerified(fleet: Fleet, commit: string, lines: readonly OutcomeLine[], wanted: ReadonlySet<string>): HostReport[] {
  const out: HostReport[] = [];
  for (const host of wanted) {
    const key = fleet.hosts.get(host)?.key;
    if (!key) continue;
    const mine = lines.filter((l) => l.host === host).sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const good = mine.find((l) => checkOutcomeSignature(commit, l.line, l.signature, key) === "valid");
    if (good) out.push({ host, verb: good.verb as HostReport["verb"], at: Date.parse(good.at), detail: good.detail });
  }
  return out;
}
