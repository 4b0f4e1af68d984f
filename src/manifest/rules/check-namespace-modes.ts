import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/** `pid: service:<name>` and `ipc: service:<name>` share another service's namespace: it must exist here. */
export function checkNamespaceModes(services: [string, ServiceInput][], serviceNames: readonly string[], problems: ProblemSink): void {
  for (const [name, service] of services) {
    for (const key of ["pid", "ipc"] as const) {
      const mode = service[key];
      if (mode === undefined || !mode.startsWith("service:")) continue;
      const other = mode.slice("service:".length);
      if (other === name) problems.report(["services", name, key], `a service cannot share its own ${key.toUpperCase()} namespace`);
      else if (!serviceNames.includes(other)) problems.report(["services", name, key], `service "${other}" is not defined in this file`);
    }
  }
}
