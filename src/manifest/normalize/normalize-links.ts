import type { DependsOn, DesiredService } from "../../model.js";
import { byCodePoint } from "../../order.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { sortedSet } from "./sorted-record.js";

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * `links: [db:database]` as Compose means it on user-defined networks: `db` is also reachable as
 * `database`, and starts first. gitdock does not send the Engine's legacy links; it gives `db` the
 * alias on every network both services join (so every container there can resolve it, not only
 * the linking one) and adds the dependency. Returns the services with both applied.
 */
export function applyLinks(inputs: [string, ServiceInput][], services: DesiredService[], problems: ProblemSink): DesiredService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const [name, input] of inputs) {
    for (const [i, entry] of (input.links ?? []).entries()) {
      const at = ["services", name, "links", i];
      const link = parseLink(entry);
      if (typeof link === "string") {
        problems.report(at, link);
        continue;
      }
      const from = byName.get(name);
      const to = byName.get(link.service);
      if (link.service === name) problems.report(at, "a service cannot link to itself");
      else if (!to) problems.report(at, `service "${link.service}" is not defined in this file`);
      else if (from) linkTo(from, to, link.alias, at, problems, byName);
    }
  }
  return services.map((s) => byName.get(s.name) ?? s);
}

function parseLink(entry: string): { service: string; alias: string } | string {
  const [service = "", alias = service, ...extra] = entry.split(":");
  if (extra.length > 0 || !NAME.test(service) || !NAME.test(alias)) return `expected "service" or "service:alias", got "${entry}"`;
  return { service, alias };
}

function linkTo(
  from: DesiredService,
  to: DesiredService,
  alias: string,
  at: (string | number)[],
  problems: ProblemSink,
  byName: Map<string, DesiredService>,
): void {
  const shared = new Set(from.container.networks.map((n) => n.key));
  const common = to.container.networks.filter((n) => shared.has(n.key)).map((n) => n.key);
  if (common.length === 0) {
    problems.report(at, `services "${from.name}" and "${to.name}" share no network: a link is an alias on a network both join`);
    return;
  }
  // The service name is an alias already.
  const networks = to.container.networks.map((n) => (common.includes(n.key) && alias !== to.name ? { ...n, aliases: sortedSet([...n.aliases, alias]) } : n));
  byName.set(to.name, { ...to, container: { ...to.container, networks } });
  if (!from.dependsOn.some((d) => d.service === to.name)) {
    const implied: DependsOn = { service: to.name, condition: "service_started", required: true };
    const dependsOn = [...from.dependsOn, implied].sort((a, b) => byCodePoint(a.service, b.service));
    byName.set(from.name, { ...(byName.get(from.name) ?? from), dependsOn });
  }
}
