import type { RolloutStep } from "../apply/rollout-log.js";
import type { HostSnapshot } from "../plan/types.js";
import type { RolloutMarker } from "../state/index.js";

/**
 * Rebuild the steps of a rollout that a crash (SIGKILL included) cut short, from what the host
 * shows: every retained `<name>.gitdock-prev` container, and every container the interrupted
 * commit created. Undoing them puts the host back where the rollout started; the next pass then
 * rolls the commit out again from a clean start.
 */
export function findInterruptedRollout(host: HostSnapshot, marker: RolloutMarker | undefined): RolloutStep[] {
  const ours = host.containers.filter((c) => c.managed);
  const live = new Map(ours.filter((c) => c.previousOf === undefined).map((c) => [c.name, c]));
  const steps: RolloutStep[] = [];
  const covered = new Set<string>();
  for (const prev of ours.filter((c) => c.previousOf !== undefined)) {
    const name = prev.previousOf as string;
    const current = live.get(name);
    steps.push({ project: prev.project ?? "", service: prev.service ?? "", name, newId: current?.id, retainedName: prev.name });
    covered.add(name);
  }
  const newCommit = marker && marker.commit !== marker.previousCommit ? marker.commit : undefined;
  for (const c of live.values()) {
    if (newCommit && c.commit === newCommit && !covered.has(c.name)) {
      steps.push({ project: c.project ?? "", service: c.service ?? "", name: c.name, newId: c.id, retainedName: undefined });
    }
  }
  return steps;
}
