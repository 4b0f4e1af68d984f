import type { PortSpec } from "../../model.js";
import { parsePortLong, parsePortShort } from "../parse/parse-port.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/** Ports in manifest order; ranges expand to one PortSpec per port pair. */
export function normalizePorts(input: ServiceInput["ports"], problems: ProblemSink): PortSpec[] {
  return (input ?? []).flatMap((entry, i) => {
    const result = typeof entry === "object" ? parsePortLong(entry) : parsePortShort(entry);
    if ("ports" in result) return result.ports;
    for (const error of result.errors) problems.report([i], error);
    return [];
  });
}
