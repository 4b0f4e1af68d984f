import type { DependsOn } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { byCodePoint } from "../../order.js";

/**
 * `depends_on`, sorted by service. The list form means "started" and required, as in Compose.
 * `restart:` in the mapping form is accepted and ignored: gitdock restarts nothing on its own.
 */
export function normalizeDependsOn(input: ServiceInput["depends_on"], services: ReadonlySet<string>, problems: ProblemSink): DependsOn[] {
  if (input === undefined) return [];
  const entries = Array.isArray(input)
    ? input.map((service, i): [(string | number)[], DependsOn] => [[i], dependency(service, undefined, undefined)])
    : Object.entries(input).map(([service, d]): [(string | number)[], DependsOn] => [[service], dependency(service, d.condition, d.required)]);
  const found = new Map<string, DependsOn>();
  for (const [at, dep] of entries) {
    if (services.has(dep.service)) found.set(dep.service, dep);
    else problems.report(at, `service "${dep.service}" is not defined in this file`, "key");
  }
  return [...found.values()].sort((a, b) => byCodePoint(a.service, b.service));
}

function dependency(service: string, condition: DependsOn["condition"] | undefined, required: boolean | undefined): DependsOn {
  return { service, condition: condition ?? "service_started", required: required ?? true };
}
