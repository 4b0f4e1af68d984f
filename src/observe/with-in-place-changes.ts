import type { InPlaceSource } from "../in-place/index.js";
import type { HostSnapshot } from "../plan/types.js";

/**
 * With `drift.in_place: replace`, the containers the agent found changed in place (src/in-place)
 * carry what changed, so the pure planner replaces them from their image ("changed in place").
 * With `report`, or without a watching agent, the snapshot is as the Engine listed it.
 */
export function withInPlaceChanges(host: HostSnapshot, source: InPlaceSource | undefined): HostSnapshot {
  if (source?.mode !== "replace") return host;
  const changed = source.changed();
  if (changed.size === 0) return host;
  return { ...host, containers: host.containers.map((c) => (changed.has(c.id) ? { ...c, changedInPlace: [...(changed.get(c.id) ?? [])] } : c)) };
}
