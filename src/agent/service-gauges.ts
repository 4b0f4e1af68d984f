import type Docker from "dockerode";
import { LABEL, MANAGED_FILTER, previousOf } from "../labels.js";
import type { ServiceGaugeValue } from "./metrics.js";

/**
 * Per-service health and running replicas of this agent's containers, for the
 * `gitdock_service_healthy` and `gitdock_service_replicas` gauges. One list call; a container's
 * Docker health is read from its status text ("Up 3 minutes (unhealthy)"). Retained previous
 * revisions are not counted.
 */
export async function observeServiceGauges(docker: Docker, hostId: string): Promise<ServiceGaugeValue[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [MANAGED_FILTER, `${LABEL.agent}=${hostId}`] } });
  return serviceGauges(list);
}

export function serviceGauges(list: readonly Pick<Docker.ContainerInfo, "Names" | "Labels" | "State" | "Status">[]): ServiceGaugeValue[] {
  const services = new Map<string, ServiceGaugeValue>();
  for (const c of list) {
    const labels = c.Labels ?? {};
    const stack = labels[LABEL.composeProject];
    const service = labels[LABEL.composeService];
    if (!stack || !service || previousOf((c.Names[0] ?? "").replace(/^\//, "")) !== undefined) continue;
    const key = `${stack}/${service}`;
    const g = services.get(key) ?? { stack, service, healthy: true, replicas: 0 };
    services.set(key, g);
    const running = c.State === "running";
    if (running) g.replicas++;
    if (!running || /\((?:unhealthy|health: starting)\)/.test(c.Status ?? "")) g.healthy = false;
  }
  return [...services.values()].sort((a, b) => `${a.stack}/${a.service}`.localeCompare(`${b.stack}/${b.service}`));
}
