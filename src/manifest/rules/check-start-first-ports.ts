import type { DesiredService } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import { portKey } from "../swarm/swarm-ports.js";

/**
 * start-first runs the new container next to the old one; two containers cannot bind the same
 * host port, so a service that publishes a fixed host port cannot roll out start-first. On a Swarm
 * only ports published in host mode are bound by the task itself (the routing mesh holds the others).
 */
export function checkStartFirstPorts(services: DesiredService[], problems: ProblemSink): void {
  for (const s of services) {
    if (s.updateConfig.order !== "start-first") continue;
    const hostMode = s.swarm && new Set(s.swarm.hostModePorts ?? []);
    const fixed = s.container.ports.filter((p) => p.published !== undefined && p.published !== "" && (!hostMode || hostMode.has(portKey(p))));
    if (!fixed.length) continue;
    problems.report(
      ["services", s.name, "deploy", "update_config", "order"],
      `start-first cannot be used with fixed host ports (${fixed.map((p) => p.published).join(", ")}): old and new containers would need the same port; use stop-first, or publish without a host port`,
    );
  }
}
