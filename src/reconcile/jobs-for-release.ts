import type { Plan } from "../plan/index.js";

/**
 * Release jobs run when a new commit is rolled out, never in a drift repair or a restore of the last
 * good commit: that commit's jobs ran when it was released. A plan toward anything but a release
 * keeps its container actions and loses its jobs.
 */
export function jobsOnlyForRelease(plan: Plan, release: boolean): Plan {
  if (release || !plan.jobs) return plan;
  const { jobs: _dropped, ...rest } = plan;
  return rest;
}
