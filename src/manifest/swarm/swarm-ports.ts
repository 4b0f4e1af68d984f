import type { PortSpec } from "../../model.js";
import { byCodePoint } from "../../order.js";
import { parsePortLong, parsePortShort } from "../parse/parse-port.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm } from "./swarm-wording.js";

type PortEntry = NonNullable<ServiceInput["ports"]>[number];

/** A published port as SwarmDeploy.hostModePorts names it. */
export function portKey(port: Pick<PortSpec, "target" | "protocol">): string {
  return `${port.target}/${port.protocol}`;
}

/**
 * A Swarm service's ports (EndpointSpec.Ports): one node port for one container port, on every
 * address of the node, through the routing mesh (`mode: ingress`, the default) or on the node
 * that runs the task (`mode: host`). Returns the host-mode ports, sorted; entries the parsers
 * refuse were reported by normalization already. `problems` is scoped to the service.
 */
export function swarmHostModePorts(ports: ServiceInput["ports"], endpointMode: "vip" | "dnsrr", problems: ProblemSink): string[] {
  const modes = new Map<string, "host" | "ingress">();
  for (const [i, entry] of (ports ?? []).entries()) {
    const parsed = typeof entry === "object" ? parsePortLong(entry) : parsePortShort(entry);
    if (!("ports" in parsed)) continue;
    checkEntry(entry, i, parsed.ports, problems);
    const mode = typeof entry === "object" && entry.mode === "host" ? "host" : "ingress";
    for (const key of new Set(parsed.ports.map(portKey))) {
      const earlier = modes.get(key);
      if (earlier !== undefined && earlier !== mode) problems.report(["ports", i], mixedModes(key));
      modes.set(key, earlier ?? mode);
    }
  }
  const published = (mode: string) =>
    [...modes]
      .filter(([, m]) => m === mode)
      .map(([key]) => key)
      .sort(byCodePoint);
  const ingress = published("ingress");
  if (endpointMode === "dnsrr" && ingress.length > 0) {
    problems.report(
      ["deploy", "endpoint_mode"],
      notOnSwarm(`dnsrr has no virtual address to publish ${ingress.join(", ")} through the routing mesh; publish those ports with mode: host, or use vip`),
    );
  }
  return published("host");
}

function checkEntry(entry: PortEntry, i: number, specs: PortSpec[], problems: ProblemSink): void {
  if (specs.some((p) => p.hostIp !== undefined)) {
    problems.report(
      typeof entry === "object" ? ["ports", i, "host_ip"] : ["ports", i],
      notOnSwarm(
        "Swarm publishes a port on every address of the node; remove the host address; with mode: host, a firewall on the node can narrow who reaches the port",
      ),
    );
  }
  if (specs.some((p) => p.published?.includes("-"))) {
    problems.report(
      typeof entry === "object" ? ["ports", i, "published"] : ["ports", i],
      notOnSwarm("Swarm publishes one node port for one container port; write a single published port, or a range as long as the container's"),
    );
  }
}

function mixedModes(key: string): string {
  return notOnSwarm(
    `${key} is published both in host mode and through the routing mesh; gitdock tells a port's mode by its container port and protocol: publish it one way`,
  );
}
