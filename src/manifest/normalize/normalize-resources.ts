import type { NetworkSpec, VolumeSpec } from "../../model.js";
import { scopedResourceName } from "../../labels.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { NetworkInput, VolumeInput } from "../schema/compose-schema.js";
import { normalizeIpam } from "./normalize-ipam.js";
import { normalizeLabels } from "./normalize-key-values.js";
import { byCodePoint } from "../../order.js";
import { sortedRecord } from "./sorted-record.js";

/**
 * Engine name of a stack's network or volume: `name:` if given, else `<project>_<key>`. An
 * external one is used as it exists, under its `name:` or its key.
 */
export function engineName(project: string, key: string, input: { external?: boolean | undefined; name?: string | undefined }): string {
  if (input.name !== undefined) return input.name;
  return input.external === true ? key : scopedResourceName(project, key);
}

export function normalizeNetwork(project: string, key: string, input: NetworkInput, problems: ProblemSink): NetworkSpec {
  refuseExternalSettings(input, ["driver", "driver_opts", "internal", "attachable", "labels", "ipam", "enable_ipv6"], problems);
  const network: NetworkSpec = {
    key,
    name: engineName(project, key, input),
    external: input.external ?? false,
    driver: input.driver,
    driverOpts: stringRecord(input.driver_opts),
    internal: input.internal ?? false,
    attachable: input.attachable ?? false,
    labels: normalizeLabels(input.labels, scopedSink(problems, ["labels"])),
  };
  // Only when they set something, so networks without them compare as they did before.
  const ipam = normalizeIpam(input.ipam, problems);
  if (ipam) network.ipam = ipam;
  if (input.enable_ipv6 === true) network.enableIpv6 = true;
  return network;
}

export function normalizeVolume(project: string, key: string, input: VolumeInput, problems: ProblemSink): VolumeSpec {
  refuseExternalSettings(input, ["driver", "driver_opts", "labels"], problems);
  return {
    key,
    name: engineName(project, key, input),
    external: input.external ?? false,
    driver: input.driver,
    driverOpts: stringRecord(input.driver_opts),
    labels: normalizeLabels(input.labels, scopedSink(problems, ["labels"])),
  };
}

export function byKey<T extends { key: string }>(a: T, b: T): number {
  return byCodePoint(a.key, b.key);
}

/** Compose refuses settings on an external resource: gitdock would never apply them. */
function refuseExternalSettings<T extends object>(input: T & { external?: boolean | undefined }, keys: (keyof T & string)[], problems: ProblemSink): void {
  if (input.external !== true) return;
  for (const key of keys) {
    if (input[key] !== undefined) problems.report([key], "cannot be set on an external resource: it is created outside gitdock", "key");
  }
}

function stringRecord(input: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return sortedRecord(Object.entries(input ?? {}).map(([k, v]): [string, string] => [k, String(v)]));
}
