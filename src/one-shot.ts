import type { DesiredService } from "./model.js";

/**
 * Services that run to completion instead of staying up: release jobs (`x-gitdock.job`) and
 * one-shots (services others wait for with `service_completed_successfully`). Their gate is their
 * exit code, and once one has exited 0 it is done, not drift.
 */
export function runsToCompletion(service: Pick<DesiredService, "oneShot" | "gitdock">): boolean {
  return service.oneShot === true || service.gitdock.job !== undefined;
}
