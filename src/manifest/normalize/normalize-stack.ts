import type { DesiredStack, NetworkSpec } from "../../model.js";
import { scopedResourceName } from "../../labels.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ValidatedCompose } from "../validate/validate-compose.js";
import { byCodePoint } from "./sorted-record.js";
import { byKey, normalizeNetwork, normalizeVolume } from "./normalize-resources.js";
import { normalizeService } from "./normalize-service.js";
import { DEFAULT_NETWORK } from "./normalize-service-networks.js";
import type { StackContext } from "./stack-context.js";

/** A validated file as the model's DesiredStack: services, networks and volumes sorted by name. */
export function normalizeStack(file: string, project: string, compose: ValidatedCompose, problems: ProblemSink): DesiredStack {
  const volumes = compose.volumes
    .map(([key, input]) => normalizeVolume(project, key, input, scopedSink(problems, ["volumes", key])))
    .sort(byKey);
  const ctx: StackContext = {
    project,
    serviceNames: new Set(compose.serviceNames),
    networkKeys: new Set(compose.networkKeys),
    // Declared keys with problems of their own still count as declared: one problem is enough.
    volumeNames: new Map([
      ...compose.volumeKeys.map((key): [string, string] => [key, scopedResourceName(project, key)]),
      ...volumes.map((v): [string, string] => [v.key, v.name]),
    ]),
  };
  const services = compose.services
    .map(([name, input]) => normalizeService(ctx, name, input, scopedSink(problems, ["services", name])))
    .sort((a, b) => byCodePoint(a.name, b.name));
  const usesDefault = services.some((s) => s.container.networks.some((n) => n.key === DEFAULT_NETWORK));
  return { project, file, services, networks: normalizeNetworks(project, compose, usesDefault, problems), volumes };
}

/**
 * Every declared network, plus the implicit `default` one only when a service joins it. A
 * top-level `networks.default` entry customizes that network rather than declaring another.
 */
function normalizeNetworks(project: string, compose: ValidatedCompose, usesDefault: boolean, problems: ProblemSink): NetworkSpec[] {
  const declared = new Map(compose.networks);
  if (usesDefault && !declared.has(DEFAULT_NETWORK)) declared.set(DEFAULT_NETWORK, {});
  if (!usesDefault) declared.delete(DEFAULT_NETWORK);
  return [...declared.entries()]
    .map(([key, input]) => normalizeNetwork(project, key, input, scopedSink(problems, ["networks", key])))
    .sort(byKey);
}
