import { writeFile } from "node:fs/promises";
import { buildFleetReport, renderFleetReport } from "../../audit/fleet/index.js";
import { signatureChecker } from "../../audit/history/index.js";
import type { Settings } from "../../config/settings.js";
import { ConfigInvalidError } from "../../errors.js";
import { EXIT } from "../exit-codes.js";
import { openFleetSourceFromFlags, type FleetSourceFlags } from "./fleet-source-flags.js";

/** Recent commits the report shows. */
const DEFAULT_COMMITS = 30;

/**
 * `gitdock fleet report --html FILE`: one self-contained HTML page for auditors, from Git alone.
 * Commit signatures are verified against --config's security.verify trust anchors when it has
 * them (as `gitdock history` does); otherwise the page says only whether a commit is signed.
 */
export async function fleetReportCommand(settings: Settings, flags: FleetSourceFlags & { html: string }): Promise<number> {
  const { source, notesRef, commits } = await openFleetSourceFromFlags(settings, flags, DEFAULT_COMMITS);
  const signature = await signatureChecker(settings.security.verify, source.gitdir);
  const report = await buildFleetReport({ ...source, branch: settings.branch, path: settings.path, notesRef, commits, now: Date.now(), signature });
  try {
    await writeFile(flags.html, renderFleetReport(report));
  } catch (err) {
    throw new ConfigInvalidError(`cannot write --html ${flags.html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "Check that the directory exists and is writable.",
    });
  }
  process.stdout.write(`wrote ${flags.html}: ${report.status.hosts.length} host(s), ${report.commits.length} commit(s)\n`);
  return EXIT.ok;
}
