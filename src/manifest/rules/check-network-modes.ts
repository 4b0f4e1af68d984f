import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/** `network_mode: service:<name>` shares another service's network stack, so that service must exist here. */
export function checkNetworkModes(services: [string, ServiceInput][], serviceNames: readonly string[], problems: ProblemSink): void {
  for (const [name, service] of services) {
    const mode = service.network_mode;
    if (mode === undefined || !mode.startsWith("service:")) continue;
    const other = mode.slice("service:".length);
    if (other === name) problems.report(["services", name, "network_mode"], "a service cannot share its own network stack");
    else if (!serviceNames.includes(other)) {
      problems.report(["services", name, "network_mode"], `service "${other}" is not defined in this file`);
    }
  }
}
