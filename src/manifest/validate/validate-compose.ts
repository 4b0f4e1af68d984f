import type { ManifestEngine } from "../load/load-environment.js";
import type { ProblemSink } from "../problems.js";
import { composeFileSchema, type NetworkInput, type SecretInput, type VolumeInput } from "../schema/compose-schema.js";
import type { ConfigInput } from "../schema/files-schema.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { isMapping, salvageValidParts } from "./salvage-valid-parts.js";
import { reportProblems, schemaProblems } from "./validate-part.js";

/**
 * A compose file after schema validation. Schema problems are reported for the whole file at once;
 * the parts that passed are kept so the semantic rules still look at them, which is how one run
 * reports every problem instead of stopping at the first broken key.
 */
export interface ValidatedCompose {
  /** The top-level `name:`, if it is a string; `nameGiven` is true even when it is not. */
  name: string | undefined;
  nameGiven: boolean;
  /** Every key under `services:`, valid or not, so references to a broken service still resolve. */
  serviceNames: string[];
  /** Valid services, and the valid keys of invalid ones (an unusable image becomes ""). */
  services: [string, ServiceInput][];
  /** Keys declared under top-level `networks:` / `volumes:`, valid or not. */
  networkKeys: string[];
  volumeKeys: string[];
  networks: [string, NetworkInput][];
  volumes: [string, VolumeInput][];
  /** Keys declared under top-level `secrets:`, valid or not, and the valid declarations. */
  secretKeys: string[];
  secrets: [string, SecretInput][];
  /** Keys declared under top-level `configs:`, valid or not, and the valid declarations. */
  configKeys: string[];
  configs: [string, ConfigInput][];
}

export function validateCompose(data: unknown, problems: ProblemSink, engine: ManifestEngine = "containers"): ValidatedCompose | undefined {
  if (!isMapping(data)) {
    const empty = data === null || data === undefined;
    problems.report([], empty ? "the file is empty; expected a mapping with services:" : "expected a mapping with services: at the top level");
    return undefined;
  }
  reportProblems(schemaProblems(composeFileSchema, data, [], engine), problems);
  const valid = salvageValidParts(composeFileSchema, data);
  const parts = isMapping(valid) ? valid : {};
  return {
    name: typeof parts["name"] === "string" ? parts["name"] : undefined,
    nameGiven: Object.hasOwn(data, "name"),
    serviceNames: keysOf(data["services"]),
    services: entriesOf(parts["services"]).map(([name, s]) => [name, withImage(s)]),
    networkKeys: keysOf(data["networks"]),
    volumeKeys: keysOf(data["volumes"]),
    // `networks: {front: }` declares a network with no settings: the same as `{}`.
    networks: entriesOf(parts["networks"]).map(([key, n]) => [key, (n ?? {}) as NetworkInput]),
    volumes: entriesOf(parts["volumes"]).map(([key, v]) => [key, (v ?? {}) as VolumeInput]),
    secretKeys: keysOf(data["secrets"]),
    secrets: entriesOf(parts["secrets"]) as [string, SecretInput][],
    configKeys: keysOf(data["configs"]),
    configs: entriesOf(parts["configs"]) as [string, ConfigInput][],
  };
}

/** The schema has reported a missing or unusable image; "" keeps the service's other checks going. */
function withImage(service: unknown): ServiceInput {
  const s = (isMapping(service) ? service : {}) as Partial<ServiceInput>;
  return { ...s, image: typeof s.image === "string" ? s.image : "" };
}

function keysOf(value: unknown): string[] {
  return isMapping(value) ? Object.keys(value) : [];
}

function entriesOf(value: unknown): [string, unknown][] {
  return isMapping(value) ? Object.entries(value) : [];
}
