import type { DesiredService } from "../../model.js";

/**
 * A service another one waits for with `depends_on: {condition: service_completed_successfully}` is
 * a one-shot: it runs to completion, and its dependents start once it exited 0 (Compose's meaning).
 * Marked on the service itself, so the planner and the gate need not look at the others.
 */
export function markOneShots(services: DesiredService[]): void {
  const awaited = new Set(services.flatMap((s) => s.dependsOn.filter((d) => d.condition === "service_completed_successfully").map((d) => d.service)));
  for (const s of services) if (awaited.has(s.name)) s.oneShot = true;
}
