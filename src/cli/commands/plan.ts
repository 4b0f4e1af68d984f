import type { Logger } from "../../log.js";
import { formatPlanText, hasChanges, planToJson } from "../../plan/index.js";
import { reconcile } from "../../reconcile/reconcile.js";
import type { Settings } from "../../config/settings.js";
import { openReconcileContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

/** `gitdock plan`: what a sync would do, changing nothing (not even the state directory's marks). */
export async function planCommand(settings: Settings, log: Logger, opts: { json?: boolean; detailedExitcode?: boolean }): Promise<number> {
  const ctx = await openReconcileContext(settings, log);
  const result = await reconcile(ctx, { dryRun: true });
  if (!result.plan) {
    process.stdout.write(`${result.outcome} ${result.target.slice(0, 12)}: nothing to plan\n${result.reason ?? ""}\n`);
    if (result.outcome === "halted") return EXIT.halted;
    return result.outcome === "rejected" ? EXIT.rejected : EXIT.rolledBack;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ target: result.target, outcome: result.outcome, plan: planToJson(result.plan) }, null, 2)}\n`);
  } else {
    if (result.outcome !== "synced") process.stdout.write(`target ${result.target.slice(0, 12)} is ${result.outcome}; planning toward the last good commit\n`);
    process.stdout.write(`${formatPlanText(result.plan)}\n`);
  }
  if (!opts.detailedExitcode) return EXIT.ok;
  return hasChanges(result.plan) ? EXIT.changes : EXIT.ok;
}
