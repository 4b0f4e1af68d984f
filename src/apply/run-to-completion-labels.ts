import { LABEL } from "../labels.js";
import type { ResolvedService } from "../plan/types.js";

/**
 * The marks of a container that runs to completion, so what reads only the Engine (crash recovery,
 * a rollback's restore, the service gauges) tells a job or a finished one-shot from a stopped service.
 * None on other containers, whose create request stays as it was.
 */
export function runToCompletionLabels(service: ResolvedService): Record<string, string> {
  const { job } = service.service.gitdock;
  if (job) return { [LABEL.job]: job, [LABEL.oneShot]: "true" };
  return service.service.oneShot ? { [LABEL.oneShot]: "true" } : {};
}
