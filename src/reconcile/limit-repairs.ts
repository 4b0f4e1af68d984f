import type { Logger } from "../log.js";
import type { ContainerAction, Plan } from "../plan/index.js";
import type { AllowRepair } from "./context.js";

/**
 * Drift repair only: leave out of the plan every action of a service whose repairs are refused,
 * so a container that keeps dying by its own fault is not restarted in a tight loop. Asked once
 * per service that has something to repair. Returns the plan that may run and the refused
 * services as `<stack>/<service>`.
 */
export function limitRepairs(plan: Plan, allow: AllowRepair, log: Logger): { plan: Plan; suppressed: string[] } {
  const decided = new Map<string, boolean>();
  const suppressed: string[] = [];
  const keep = (a: ContainerAction): boolean => {
    if (a.kind === "unchanged" || a.kind === "conflict") return true;
    const key = `${a.project}/${a.service}`;
    let ok = decided.get(key);
    if (ok === undefined) {
      ok = allow(a.project, a.service);
      decided.set(key, ok);
      if (!ok) {
        suppressed.push(key);
        log.warn(
          { stage: "plan", commit: plan.commit, stack: a.project, service: a.service, container: a.container, reason: a.reasons.join("; ") },
          `repair of ${key} suppressed: its repair budget is used up`,
        );
      }
    }
    return ok;
  };
  const actions = plan.actions.filter(keep);
  return suppressed.length ? { plan: { ...plan, actions }, suppressed } : { plan, suppressed };
}
