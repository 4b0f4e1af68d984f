import type { Settings } from "../../config/settings.js";
import { loadOutcomeKey } from "../../fleet/outcome-key.js";
import { publicKeyLine } from "../../fleet/openssh-private-key.js";
import { EXIT } from "../exit-codes.js";

/**
 * `gitdock fleet key`: this host's public key line for the fleet file's `hosts.<id>.key`. The key
 * is the one the agent signs its outcome lines with (report.outcome_key_file, else
 * `<state_dir>/outcome.key`, made here when it is missing, as the agent would). Only the line goes
 * to stdout, so it can be piped.
 */
export async function fleetKeyCommand(settings: Settings): Promise<number> {
  const key = await loadOutcomeKey({ stateDir: settings.stateDir, hostId: settings.hostId, file: settings.report.outcomeKeyFile });
  process.stdout.write(`${publicKeyLine(key)}\n`);
  process.stderr.write(`gitdock: put it in the fleet file as hosts.${settings.hostId}.key\n`);
  return EXIT.ok;
}
