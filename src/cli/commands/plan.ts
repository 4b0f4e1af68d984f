import type { Logger } from "../../log.js";
import {
  formatPlanText,
  formatServicePlanText,
  hasChanges,
  hasServiceChanges,
  planToJson,
  servicePlanToJson,
  type Plan,
  type ServicePlan,
} from "../../plan/index.js";
import { reconcile } from "../../reconcile/reconcile.js";
import type { ReconcileResult } from "../../reconcile/context.js";
import type { Settings } from "../../config/settings.js";
import { openReconcileContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

/** A plan of either engine, ready to print. */
interface PlanView {
  text: string;
  json: unknown;
  changes: boolean;
}

/** `gitdock plan`: what a sync would do, changing nothing (not even the state directory's marks). */
export async function planCommand(settings: Settings, log: Logger, opts: { json?: boolean; detailedExitcode?: boolean }): Promise<number> {
  const ctx = await openReconcileContext(settings, log);
  const result = await reconcile(ctx, { dryRun: true });
  const view = planView(result);
  if (!view) {
    process.stdout.write(`${result.outcome} ${result.target.slice(0, 12)}: nothing to plan\n${result.reason ?? ""}\n`);
    if (result.outcome === "halted") return EXIT.halted;
    return result.outcome === "rejected" ? EXIT.rejected : EXIT.rolledBack;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ target: result.target, outcome: result.outcome, plan: view.json }, null, 2)}\n`);
  } else {
    if (result.outcome !== "synced") process.stdout.write(`target ${result.target.slice(0, 12)} is ${result.outcome}; planning toward the last good commit\n`);
    process.stdout.write(`${view.text}\n`);
  }
  if (!opts.detailedExitcode) return EXIT.ok;
  return view.changes ? EXIT.changes : EXIT.ok;
}

/** Under engine: swarm the pass plans services (`servicePlan`), otherwise containers (`plan`). */
function planView(result: ReconcileResult): PlanView | undefined {
  if (result.servicePlan) return servicePlanView(result.servicePlan);
  return result.plan ? containerPlanView(result.plan) : undefined;
}

function containerPlanView(plan: Plan): PlanView {
  return { text: formatPlanText(plan), json: planToJson(plan), changes: hasChanges(plan) };
}

function servicePlanView(plan: ServicePlan): PlanView {
  return { text: formatServicePlanText(plan), json: servicePlanToJson(plan), changes: hasServiceChanges(plan) };
}
