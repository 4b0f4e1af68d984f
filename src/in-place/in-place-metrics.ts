import { Counter, Gauge, type Registry } from "prom-client";
import type { InPlaceKind } from "./in-place-source.js";

/**
 * The in-place watch's metrics, on the agent's registry: findings by kind, and the containers found
 * changed that still run (a replaced container leaves the gauge).
 */
export interface InPlaceMetrics {
  found(kind: InPlaceKind): void;
  setChanged(count: number): void;
}

export function createInPlaceMetrics(registry: Registry): InPlaceMetrics {
  const registers = [registry];
  const found = new Counter({
    name: "gitdock_changed_in_place_total",
    help: "Changes in place found in managed containers, by kind: exec (a docker exec session) or writable_layer (files changed outside volumes, bind mounts, tmpfs and writable_paths).",
    labelNames: ["kind"] as const,
    registers,
  });
  for (const kind of ["exec", "writable_layer"]) found.inc({ kind }, 0);
  const changed = new Gauge({
    name: "gitdock_containers_changed_in_place",
    help: "Managed containers found changed in place that still run (drift.in_place: report keeps them; replace replaces them).",
    registers,
  });
  return {
    found: (kind) => found.inc({ kind: kind === "exec" ? "exec" : "writable_layer" }),
    setChanged: (count) => changed.set(count),
  };
}
