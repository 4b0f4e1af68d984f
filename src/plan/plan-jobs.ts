/**
 * Which release jobs (`x-gitdock.job`) a commit's rollout runs: pure, from the desired state, the
 * host's containers and the container actions already planned. A job's last run is its container,
 * kept (exited) under the job's name until the next run replaces it: its `gitdock.commit` says for
 * which commit it ran, its spec hash with which settings, and its exit code how it ended.
 *
 * A job runs once per commit, and only for a commit that changes its stack on this host:
 *  - not again when its container already exited 0 for this very commit (a retried or resumed
 *    rollout, or a drift repair);
 *  - not when nothing of its stack changes and its last run exited 0 with the same settings (a
 *    commit that touched another host's directory, or another stack);
 *  - otherwise yes: its stack changes, or the job itself is new, changed, or did not finish last time.
 * The pass runs jobs only when it rolls out a new commit (reconcile.ts drops them from repairs).
 */
import { replicaName } from "../labels.js";
import { byCodePoint } from "../order.js";
import { wantedHash } from "./spec-hash.js";
import type { ContainerAction, JobRun, ObservedContainer, ResolvedService, ResolvedState } from "./types.js";

export function planJobs(
  desired: ResolvedState,
  byName: ReadonlyMap<string, ObservedContainer[]>,
  actions: readonly ContainerAction[],
): { jobs: JobRun[]; blockers: string[] } {
  const changedStacks = new Set(actions.filter((a) => a.kind === "create" || a.kind === "replace" || a.kind === "remove").map((a) => a.project));
  const jobs: JobRun[] = [];
  const blockers: string[] = [];
  for (const { stack, services } of desired.stacks) {
    for (const svc of services) {
      const phase = svc.service.gitdock.job;
      if (!phase) continue;
      const container = replicaName(svc.project, svc.service, 1);
      const existing = byName.get(container) ?? [];
      const last = existing.find((c) => c.managed);
      const reasons = whyRun(svc, last, desired.commit, changedStacks.has(svc.project));
      if (!reasons.length) continue;
      if (existing.some((c) => !c.managed)) {
        blockers.push(
          `${stack.file}: job ${svc.project}/${svc.service.name} cannot run: the name ${container} is held by a container gitdock does not manage; rename or remove it`,
        );
        continue;
      }
      jobs.push({
        project: svc.project,
        service: svc.service.name,
        container,
        phase,
        containerId: last?.id,
        dependsOn: svc.service.dependsOn.map((d) => d.service),
        reasons,
      });
    }
  }
  return { jobs: jobs.sort((a, b) => byCodePoint(a.project, b.project) || byCodePoint(a.service, b.service)), blockers };
}

/** Why the job runs in this rollout; empty when it does not. */
function whyRun(svc: ResolvedService, last: ObservedContainer | undefined, commit: string, stackChanged: boolean): string[] {
  const succeeded = last?.exitCode === 0;
  if (succeeded && last?.commit === commit) return [];
  if (succeeded && !stackChanged && sameSpec(svc, last)) return [];
  if (stackChanged) return ["stack changed"];
  if (!last) return ["first run on this host"];
  if (last.running || last.exitCode === undefined) return ["last run did not finish"];
  return last.exitCode === 0 ? ["job changed"] : [`last run failed (exit code ${last.exitCode})`];
}

function sameSpec(svc: ResolvedService, c: ObservedContainer): boolean {
  return c.specHash === wantedHash(svc, c);
}
