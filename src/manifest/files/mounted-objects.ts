import { posix } from "node:path";
import type { DesiredService, StoreObject } from "../../model.js";

/**
 * The store objects of `objects` that `services` mount (bind sources and configs): what a stack
 * keeps once some of its services are left out (profiles that are not active), so the store holds
 * and keeps only what deployed containers use.
 */
export function objectsMountedBy(services: readonly DesiredService[], objects: readonly StoreObject[]): StoreObject[] {
  const sources = new Set<string>();
  for (const { container } of services) {
    for (const mount of container.mounts) if (mount.type === "bind") sources.add(mount.source);
    for (const config of container.configs ?? []) sources.add(config.file);
  }
  return objects.filter((object) => sources.has(posix.join(object.store, object.name)));
}

/** The decrypted files of `objects` that `services` mount (secrets and configs decrypted from the repository). */
export function decryptedMountedBy<T extends { store: string; name: string }>(services: readonly DesiredService[], objects: readonly T[]): T[] {
  const sources = new Set<string>();
  for (const service of services) {
    for (const s of service.secrets ?? []) sources.add(s.file);
    for (const config of service.container.configs ?? []) sources.add(config.file);
  }
  return objects.filter((object) => sources.has(posix.join(object.store, object.name)));
}
