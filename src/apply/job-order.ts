/**
 * The order release jobs run in, and what must exist before the pre-deploy ones: pure, so both are
 * table-tested (test/unit/release-jobs.test.ts).
 */
import type { JobPhase } from "../model.js";
import { byCodePoint } from "../order.js";
import { serviceDependencies } from "../plan/service-dependencies.js";
import type { ContainerAction, JobRun, ResolvedState } from "../plan/types.js";

/**
 * A phase's jobs one after another in `depends_on` order (a job after the jobs of its phase it
 * depends on; otherwise by stack and name), so two jobs of one release never run at once by surprise.
 * Dependencies on anything else do not order jobs. The manifest stage refuses cycles; a job caught
 * in one anyway goes last rather than never.
 */
export function jobsInOrder(jobs: readonly JobRun[], phase: JobPhase): JobRun[] {
  const mine = jobs.filter((j) => j.phase === phase).sort((a, b) => byCodePoint(a.project, b.project) || byCodePoint(a.service, b.service));
  const key = (project: string, service: string) => `${project}/${service}`;
  const pending = new Map(mine.map((j) => [key(j.project, j.service), j]));
  const ordered: JobRun[] = [];
  while (pending.size) {
    const ready = [...pending.values()].find((j) => j.dependsOn.every((d) => !pending.has(key(j.project, d))));
    const next = ready ?? pending.values().next().value!;
    ordered.push(next);
    pending.delete(key(next.project, next.service));
  }
  return ordered;
}

/**
 * The container actions that must run before the pre-deploy jobs: the services they depend on,
 * directly or through other services, that do not exist yet (a host's first apply: a migration
 * needs its database). Creating a missing container replaces nothing; every replace still waits
 * until the jobs passed.
 */
export function createsBeforeJobs(actions: readonly ContainerAction[], jobs: readonly JobRun[], desired: ResolvedState): ContainerAction[] {
  const deps = serviceDependencies(desired);
  const needed = new Set<string>();
  const stack = jobs.filter((j) => j.phase === "pre-deploy").flatMap((j) => j.dependsOn.map((d) => `${j.project}/${d}`));
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (needed.has(next)) continue;
    needed.add(next);
    stack.push(...(deps.get(next) ?? []));
  }
  return actions.filter((a) => a.kind === "create" && needed.has(`${a.project}/${a.service}`));
}
