/**
 * Swarm's `max_failure_ratio`, per batch: a batch of new containers fails only when more of them
 * failed their health gate than the ratio tolerates (failed / total > ratio). With the default 0,
 * one failure fails the batch.
 */
export function batchFailed(failed: number, total: number, maxFailureRatio = 0): boolean {
  return total > 0 && failed / total > maxFailureRatio;
}
