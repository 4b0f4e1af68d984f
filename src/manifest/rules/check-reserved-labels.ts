import type { DesiredService } from "../../model.js";
import type { ProblemSink } from "../problems.js";

/**
 * gitdock finds, compares and prunes its containers by the labels it stamps (src/labels.ts) and
 * Compose's project labels; a manifest that set them could hide or hijack a container.
 */
const RESERVED_PREFIXES = ["gitdock.", "com.docker.compose."];

export function checkReservedLabels(services: DesiredService[], problems: ProblemSink): void {
  for (const service of services) {
    for (const key of Object.keys(service.container.labels)) {
      if (RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) {
        problems.report(["services", service.name, "labels", key], `"${key}" is reserved: gitdock sets these labels itself`, "key");
      }
    }
  }
}
