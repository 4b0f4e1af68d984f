import type { z } from "zod";
import type { ProblemSink } from "../problems.js";
import { composeFileSchema, networkSchema, volumeSchema, type NetworkInput, type VolumeInput } from "../schema/compose-schema.js";
import { serviceSchema, type ServiceInput } from "../schema/service-schema.js";
import { reportProblems, schemaProblems, validPart } from "./validate-part.js";

/**
 * A compose file after schema validation. Problems are reported for the whole file at once; the
 * parts that passed are kept so the semantic rules can still look at them, which is how one run
 * reports every problem instead of stopping at the first broken service.
 */
export interface ValidatedCompose {
  /** The top-level `name:`, if it is a string; `nameGiven` is true even when it is not. */
  name: string | undefined;
  nameGiven: boolean;
  /** Every key under `services:`, valid or not, so references to a broken service still resolve. */
  serviceNames: string[];
  services: [string, ServiceInput][];
  /** Keys declared under top-level `networks:` / `volumes:`, valid or not. */
  networkKeys: string[];
  volumeKeys: string[];
  networks: [string, NetworkInput][];
  volumes: [string, VolumeInput][];
}

export function validateCompose(data: unknown, problems: ProblemSink): ValidatedCompose | undefined {
  if (!isMapping(data)) {
    const message =
      data === null || data === undefined
        ? "the file is empty; expected a mapping with services:"
        : "expected a mapping with services: at the top level";
    problems.report([], message);
    return undefined;
  }
  reportProblems(schemaProblems(composeFileSchema, data, []), problems);
  const services = entriesOf(data["services"]);
  const networks = entriesOf(data["networks"]);
  const volumes = entriesOf(data["volumes"]);
  return {
    name: typeof data["name"] === "string" ? data["name"] : undefined,
    nameGiven: Object.hasOwn(data, "name"),
    serviceNames: services.map(([name]) => name),
    services: validEntries(services, serviceSchema),
    networkKeys: networks.map(([key]) => key),
    volumeKeys: volumes.map(([key]) => key),
    // `networks: {front: }` declares a network with no settings: the same as `{}`.
    networks: validEntries(networks, networkSchema).map(([key, value]) => [key, value ?? {}]),
    volumes: validEntries(volumes, volumeSchema).map(([key, value]) => [key, value ?? {}]),
  };
}

function validEntries<S extends z.ZodType>(entries: [string, unknown][], schema: S): [string, z.infer<S>][] {
  const out: [string, z.infer<S>][] = [];
  for (const [key, value] of entries) {
    const typed = validPart(schema, value);
    if (typed !== undefined) out.push([key, typed]);
  }
  return out;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entriesOf(value: unknown): [string, unknown][] {
  return isMapping(value) ? Object.entries(value) : [];
}
