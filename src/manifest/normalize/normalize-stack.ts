import type { DesiredStack, NetworkSpec } from "../../model.js";
import { scopedResourceName } from "../../labels.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ValidatedCompose } from "../validate/validate-compose.js";
import { byCodePoint } from "../../order.js";
import { byKey, normalizeNetwork, normalizeVolume } from "./normalize-resources.js";
import { normalizeStackSecrets } from "./normalize-secrets.js";
import { applyLinks } from "./normalize-links.js";
import { normalizeService } from "./normalize-service.js";
import { DEFAULT_NETWORK } from "./normalize-service-networks.js";
import type { ConfigSource, StackContext } from "./stack-context.js";
import { normalizeStackConfigs } from "./normalize-configs.js";
import { markOneShots } from "./mark-one-shots.js";
import { checkSwarmNetworks } from "../swarm/check-swarm-networking.js";

/** What a stack reads besides its own file: the repository's files, and its YAML as written. */
export type StackSources = Pick<StackContext, "files" | "writtenScalar" | "engine">;

/** A validated file as the model's DesiredStack: services, networks and volumes sorted by name. */
export function normalizeStack(file: string, project: string, compose: ValidatedCompose, problems: ProblemSink, sources: StackSources): DesiredStack {
  if (sources.engine === "swarm") checkSwarmNetworks(compose.networks, problems);
  const volumes = compose.volumes.map(([key, input]) => normalizeVolume(project, key, input, scopedSink(problems, ["volumes", key]))).sort(byKey);
  const secrets = normalizeStackSecrets(compose.secrets, sources.files.under(["secrets"]), scopedSink(problems, ["secrets"]));
  const configs = normalizeStackConfigs(compose.configs, sources.files.under(["configs"]), scopedSink(problems, ["configs"]));
  const ctx: StackContext = {
    ...sources,
    project,
    serviceNames: new Set(compose.serviceNames),
    networkKeys: new Set(compose.networkKeys),
    // Declared keys with problems of their own still count as declared: one problem is enough.
    volumeNames: new Map([
      ...compose.volumeKeys.map((key): [string, string] => [key, scopedResourceName(project, key)]),
      ...volumes.map((v): [string, string] => [v.key, v.name]),
    ]),
    secretFiles: new Map([
      ...compose.secretKeys.map((key): [string, string | undefined] => [key, undefined]),
      ...secrets.map((s): [string, string] => [s.key, s.file]),
    ]),
    encryptedSecrets: new Map(secrets.flatMap((s) => (s.encrypted === undefined ? [] : [[s.key, s.encrypted]]))),
    configSources: new Map([...compose.configKeys.map((key): [string, ConfigSource | undefined] => [key, undefined]), ...configs]),
  };
  const services = applyLinks(
    compose.services,
    compose.services.map(([name, input]) => normalizeService(ctx, name, input, scopedSink(problems, ["services", name]))),
    problems,
  ).sort((a, b) => byCodePoint(a.name, b.name));
  markOneShots(services);
  const usesDefault = services.some((s) => s.container.networks.some((n) => n.key === DEFAULT_NETWORK));
  const stack: DesiredStack = { project, file, services, networks: normalizeNetworks(project, compose, usesDefault, problems), volumes };
  // Only when declared, so stacks without secrets look exactly as they did before secrets existed.
  if (compose.secretKeys.length > 0) stack.secrets = secrets;
  const objects = sources.files.objects();
  if (objects.length > 0) stack.storeObjects = objects;
  const encrypted = sources.files.encryptedUses();
  if (encrypted.length > 0) stack.encryptedFiles = encrypted;
  const decrypted = sources.files.decryptedObjects();
  if (decrypted.length > 0) stack.decryptedFiles = decrypted;
  return stack;
}

/**
 * Every declared network, plus the implicit `default` one only when a service joins it. A
 * top-level `networks.default` entry customizes that network rather than declaring another.
 */
function normalizeNetworks(project: string, compose: ValidatedCompose, usesDefault: boolean, problems: ProblemSink): NetworkSpec[] {
  const declared = new Map(compose.networks);
  if (usesDefault && !declared.has(DEFAULT_NETWORK)) declared.set(DEFAULT_NETWORK, {});
  if (!usesDefault) declared.delete(DEFAULT_NETWORK);
  return [...declared.entries()].map(([key, input]) => normalizeNetwork(project, key, input, scopedSink(problems, ["networks", key]))).sort(byKey);
}
