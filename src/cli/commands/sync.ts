import { syncThroughAgent } from "../../agent/agent-client.js";
import type { PassSummary } from "../../agent/agent-status.js";
import { describeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { reconcile } from "../../reconcile/reconcile.js";
import type { Settings } from "../../config/settings.js";
import { acquireLock } from "../../state/index.js";
import { openReconcileContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

/**
 * `gitdock sync`: one reconcile. 0 = the host runs the target commit; 3 = held/rolled back; 5 = waiting
 * for a sync window; 4 = rejected, or halted (the last good commit no longer passes). With `--now`,
 * the running agent does the pass when one answers.
 */
export async function syncCommand(settings: Settings, log: Logger, opts: { now?: boolean } = {}): Promise<number> {
  if (opts.now) {
    const pass = await syncThroughAgent(settings);
    if (pass?.summary) {
      log.info({ pass: pass.number, triggers: pass.triggers }, "the running agent did the pass");
      process.stdout.write(`${summaryLine(pass.summary)}\n`);
      return exitCodeForResult(pass.summary);
    }
  }
  const ctx = await openReconcileContext(settings, log);
  const release = await acquireLock(settings.stateDir, { wait: true, timeoutMs: 600_000 });
  try {
    const result = await reconcile(ctx, { dryRun: false });
    process.stdout.write(`${summaryLine(result)}\n`);
    return exitCodeForResult(result);
  } finally {
    await release();
  }
}

export function exitCodeForResult(result: PassSummary): number {
  if (result.outcome === "rejected") return EXIT.rejected;
  if (result.outcome === "halted") return EXIT.halted;
  if (result.outcome === "waiting") return EXIT.waiting;
  if (result.outcome === "held" || result.outcome === "rolled-back" || result.outcome === "paused") return EXIT.rolledBack;
  // The host does not match the target while a foreign container holds a name gitdock needs.
  return result.conflicts.length ? EXIT.error : EXIT.ok;
}

function summaryLine(r: PassSummary): string {
  const target = r.target.slice(0, 12);
  const conflicts = r.conflicts.length
    ? `\nconflict: ${r.conflicts.join(", ")} held by containers gitdock does not manage; rename or remove them to let gitdock create its own`
    : "";
  return mainLine(r, target) + conflicts;
}

function mainLine(r: PassSummary, target: string): string {
  if (r.outcome === "synced") {
    return r.changed ? `synced ${target}: ${r.changed} change(s) applied` : `synced ${target}: already in sync`;
  }
  if (r.outcome === "rolled-back" && r.noLastGood) {
    return `rolled back ${target}: this host had no good commit to go back to, so what the release created was removed\n${r.reason ?? ""}`;
  }
  if (r.outcome === "rolled-back") return `rolled back ${target}: the host is back at its last good commit\n${r.reason ?? ""}`;
  if (r.outcome === "paused") return `paused ${target}: failure_action is pause; the host was left as it is\n${r.reason ?? ""}`;
  if (r.outcome === "halted") return `halted ${target}: nothing was changed on this host\n${r.reason ?? ""}`;
  const at = r.commit ? `the host stays at ${r.commit.slice(0, 12)}` : "the host was not changed";
  return `${r.outcome} ${target}: ${at}\n${describeError(r.reason ?? "")}`;
}
