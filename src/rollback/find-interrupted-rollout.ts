import type { RolloutStep } from "../apply/rollout-log.js";
import type { HostSnapshot, ObservedContainer } from "../plan/types.js";
import type { RolloutMarker } from "../state/index.js";

/**
 * Rebuild the steps of a rollout that a crash (SIGKILL included) cut short, from what the host
 * shows: every retained `<name>.gitdock-prev` container, and every container the interrupted
 * commit created. Undoing them puts the host back where the rollout started; the next pass then
 * rolls the commit out again from a clean start. A release job that finished (exited 0) for the
 * interrupted commit is the exception: it is not undone, so it does not run again; one still running
 * (or killed) is undone like any step, and runs again.
 */
export function findInterruptedRollout(host: HostSnapshot, marker: RolloutMarker | undefined): RolloutStep[] {
  const ours = host.containers.filter((c) => c.managed);
  const live = new Map(ours.filter((c) => c.previousOf === undefined).map((c) => [c.name, c]));
  const steps: RolloutStep[] = [];
  const covered = new Set<string>();
  const newCommit = marker && marker.commit !== marker.previousCommit ? marker.commit : undefined;
  for (const prev of ours.filter((c) => c.previousOf !== undefined)) {
    const name = prev.previousOf as string;
    const current = live.get(name);
    covered.add(name);
    // A release job that finished for the interrupted commit stays done: its run is not undone, and
    // the kept run before it goes with the leftovers once no rollout is in progress.
    if (newCommit && current && finishedJob(current, newCommit)) continue;
    steps.push({ project: prev.project ?? "", service: prev.service ?? "", name, newId: current?.id, retainedName: prev.name });
  }
  for (const c of live.values()) {
    if (newCommit && c.commit === newCommit && !covered.has(c.name) && !finishedJob(c, newCommit)) {
      steps.push({ project: c.project ?? "", service: c.service ?? "", name: c.name, newId: c.id, retainedName: undefined });
    }
  }
  return steps;
}

/** A job's container that ran for `commit` and exited 0: the Engine's record that the job finished. */
function finishedJob(c: ObservedContainer, commit: string): boolean {
  return c.job !== undefined && c.commit === commit && c.exitCode === 0;
}
