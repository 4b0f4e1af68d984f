import { buildFleetStatus, formatFleetStatus } from "../../audit/fleet/index.js";
import type { Settings } from "../../config/settings.js";
import { EXIT } from "../exit-codes.js";
import { openFleetSourceFromFlags, type FleetSourceFlags } from "./fleet-source-flags.js";

/** Recent commits `fleet status` shows with their waves. */
const DEFAULT_COMMITS = 10;

/**
 * `gitdock fleet status`: from Git alone, what each host of the fleet runs and since when, and each
 * recent commit's waves (healthy, failed, waiting, unreachable, withdrawn, held fleet-wide and why).
 */
export async function fleetStatusCommand(settings: Settings, flags: FleetSourceFlags & { json?: boolean }): Promise<number> {
  const { source, notesRef, commits } = await openFleetSourceFromFlags(settings, flags, DEFAULT_COMMITS);
  const { status } = await buildFleetStatus({ ...source, branch: settings.branch, path: settings.path, notesRef, commits, now: Date.now() });
  process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatFleetStatus(status)}\n`);
  return EXIT.ok;
}
