import { decryptedMountedBy, objectsMountedBy } from "../files/mounted-objects.js";
import type { DesiredService, DesiredStack } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { DEFAULT_NETWORK } from "../normalize/normalize-service-networks.js";

/**
 * `profiles` (the Compose Specification, "Profiles"): a service that lists profiles is deployed
 * only when one of them is active on this host (`manifest.profiles` in the agent's config,
 * `gitdock validate --profile`); a service without `profiles` always is. Services left out are
 * still validated, but not planned. A deployed service that needs one left out (`depends_on`
 * required, `network_mode`/`pid`/`ipc: service:<name>`) is an error, as in Compose: references do
 * not turn a profile on. Returns the stack with only the deployed services (and the default network
 * only if one of them joins it, and only the files of the repository they mount).
 */
export function applyProfiles(stack: DesiredStack, services: [string, ServiceInput][], active: readonly string[], problems: ProblemSink): DesiredStack {
  const profilesOf = new Map(services.map(([name, s]) => [name, s.profiles ?? []]));
  const inactive = new Set([...profilesOf].filter(([, p]) => p.length > 0 && !p.some((x) => active.includes(x))).map(([name]) => name));
  if (inactive.size === 0) return stack;
  const deployed = stack.services.filter((s) => !inactive.has(s.name));
  for (const service of deployed) checkReferences(service, inactive, profilesOf, problems);
  const kept = deployed.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => !inactive.has(d.service)) }));
  const joinsDefault = kept.some((s) => s.container.networks.some((n) => n.key === DEFAULT_NETWORK));
  // As normalization does for a whole stack: the default network exists only while a service joins it.
  const networks = joinsDefault ? stack.networks : stack.networks.filter((n) => n.key !== DEFAULT_NETWORK);
  const out: DesiredStack = { ...stack, services: kept, networks };
  const objects = stack.storeObjects && objectsMountedBy(kept, stack.storeObjects);
  if (objects?.length) out.storeObjects = objects;
  else delete out.storeObjects;
  const decrypted = stack.decryptedFiles && decryptedMountedBy(kept, stack.decryptedFiles);
  if (decrypted?.length) out.decryptedFiles = decrypted;
  else delete out.decryptedFiles;
  return out;
}

function checkReferences(service: DesiredService, inactive: ReadonlySet<string>, profilesOf: ReadonlyMap<string, string[]>, problems: ProblemSink): void {
  const off = (name: string) => `"${name}", whose profiles (${(profilesOf.get(name) ?? []).join(", ")}) are not active on this host`;
  const fix = "activate one of them (manifest.profiles, or --profile for gitdock validate), or give this service the same profiles";
  for (const dep of service.dependsOn) {
    if (!inactive.has(dep.service) || !dep.required) continue;
    problems.report(["services", service.name, "depends_on"], `depends on ${off(dep.service)}; ${fix}, or mark the dependency required: false`);
  }
  const modes: [string, string | undefined][] = [
    ["network_mode", service.container.networkMode],
    ["pid", service.container.pidMode],
    ["ipc", service.container.ipcMode],
  ];
  for (const [key, mode] of modes) {
    const other = mode?.startsWith("service:") ? mode.slice("service:".length) : undefined;
    if (other !== undefined && inactive.has(other)) problems.report(["services", service.name, key], `shares the namespace of ${off(other)}; ${fix}`);
  }
}
