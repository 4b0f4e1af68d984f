import { byCodePoint } from "../order.js";
import type { ObservedContainer } from "../plan/index.js";
import type { ServiceGaugeValue } from "./metrics.js";

/**
 * Per-service health and running replicas of this agent's containers, for the
 * `gitdock_service_healthy` and `gitdock_service_replicas` gauges. A service is healthy when every
 * replica runs (or, for a job or one-shot, exited 0) and none is unhealthy or still starting by its Docker healthcheck. Retained
 * previous revisions are not counted.
 */
export function serviceGauges(containers: readonly ObservedContainer[]): ServiceGaugeValue[] {
  const services = new Map<string, ServiceGaugeValue>();
  for (const c of containers) {
    const { project: stack, service } = c;
    if (!c.managed || !stack || !service || c.previousOf !== undefined) continue;
    const key = `${stack}/${service}`;
    const g = services.get(key) ?? { stack, service, healthy: true, replicas: 0 };
    services.set(key, g);
    if (c.running) g.replicas++;
    // A job's or one-shot's container that exited 0 has done what it is for.
    const completed = c.oneShot === true && c.exitCode === 0;
    if ((!c.running && !completed) || c.health === "unhealthy" || c.health === "starting") g.healthy = false;
  }
  return [...services.values()].sort((a, b) => byCodePoint(`${a.stack}/${a.service}`, `${b.stack}/${b.service}`));
}
