import type { ProblemSink } from "../problems.js";
import type { NetworkInput } from "../schema/compose-schema.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm } from "./swarm-wording.js";

/**
 * A Swarm service joins networks (Engine API 1.41: TaskTemplate.Networks) and nothing else: it has
 * no network mode, and Swarm hands out its tasks' addresses itself.
 */
export function checkSwarmServiceNetworking(service: ServiceInput, problems: ProblemSink): void {
  if (service.network_mode !== undefined) problems.report(["network_mode"], notOnSwarm(networkModeReason(service.network_mode)), "key");
  if (service.networks === undefined || Array.isArray(service.networks)) return;
  for (const [key, options] of Object.entries(service.networks)) {
    if (options?.ipv4_address === undefined) continue;
    problems.report(
      ["networks", key, "ipv4_address"],
      notOnSwarm("Swarm gives each task its own address, and the service a virtual one; remove ipv4_address and reach the service by its name or an alias"),
      "key",
    );
  }
}

function networkModeReason(mode: string): string {
  const base = "a Swarm service has no network mode: it joins networks";
  if (mode === "host") return `${base}; for the host's network stack join the network named host: networks: {hostnet: {external: true, name: host}}`;
  return `${base}; use networks:, on which services reach each other by name`;
}

/** Network drivers whose networks are local to one Engine: no Swarm service can join them. */
const LOCAL_DRIVERS = new Set(["bridge", "host", "none", "macvlan", "ipvlan"]);

/** A stack's networks on a Swarm are overlay networks (or a swarm-scoped driver's): a local driver is a problem. */
export function checkSwarmNetworks(networks: readonly [string, NetworkInput][], problems: ProblemSink): void {
  for (const [key, network] of networks) {
    if (network.external === true || network.driver === undefined || !LOCAL_DRIVERS.has(network.driver)) continue;
    problems.report(
      ["networks", key, "driver"],
      notOnSwarm(
        `a ${network.driver} network is local to one node and Swarm services cannot join it; remove driver:, and gitdock makes an overlay network, or write driver: overlay`,
      ),
    );
  }
}
