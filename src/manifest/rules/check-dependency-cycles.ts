import type { DesiredService } from "../../model.js";
import type { ProblemSink } from "../problems.js";

/**
 * A cycle in `depends_on` has no start order. Services that can start (all their dependencies can)
 * are set aside first (Kahn's algorithm); every one left waits on another one left, so walking
 * from each leads into a cycle, which is reported on its first service in name order. Linear and
 * iterative, so a file with thousands of services cannot stall or overflow the stack.
 */
export function checkDependencyCycles(services: DesiredService[], problems: ProblemSink): void {
  const deps = new Map(services.map((s) => [s.name, s.dependsOn.map((d) => d.service)]));
  const blocked = blockedServices(deps);
  const walked = new Set<string>();
  for (const start of [...blocked].sort()) {
    const cycle = walk(start, deps, blocked, walked);
    if (cycle.length === 0) continue;
    const first = [...cycle].sort()[0] ?? start;
    const at = cycle.indexOf(first);
    const ordered = [...cycle.slice(at), ...cycle.slice(0, at), first];
    problems.report(["services", first, "depends_on"], `dependency cycle: ${ordered.join(" -> ")}`);
  }
}

/** Services that can never start because they wait, directly or not, on a cycle. */
function blockedServices(deps: Map<string, string[]>): Set<string> {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [name, on] of deps) {
    const pending = on.filter((d) => deps.has(d));
    waiting.set(name, pending.length);
    for (const d of pending) {
      const list = dependents.get(d) ?? [];
      list.push(name);
      dependents.set(d, list);
    }
  }
  const ready = [...waiting].filter(([, n]) => n === 0).map(([name]) => name);
  for (let name = ready.pop(); name !== undefined; name = ready.pop()) {
    waiting.delete(name);
    for (const dependent of dependents.get(name) ?? []) {
      const left = (waiting.get(dependent) ?? 1) - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return new Set(waiting.keys());
}

/** Follows blocked dependencies from `start`; returns the cycle it closes, or [] if it joins an earlier walk. */
function walk(start: string, deps: Map<string, string[]>, blocked: Set<string>, walked: Set<string>): string[] {
  const trail: string[] = [];
  const onTrail = new Set<string>();
  let current: string | undefined = start;
  while (current !== undefined && !walked.has(current)) {
    walked.add(current);
    onTrail.add(current);
    trail.push(current);
    current = (deps.get(current) ?? []).find((d) => blocked.has(d));
  }
  return current !== undefined && onTrail.has(current) ? trail.slice(trail.indexOf(current)) : [];
}
