import type { DesiredService } from "../../model.js";
import type { ProblemSink } from "../problems.js";
import { secretMountPath } from "./normalize-secrets.js";

/**
 * Volumes, configs and secrets all become mounts of one container, and the Engine refuses two
 * mounts at one path. Each kind checks its own duplicates; this checks them against each other,
 * reporting the config or secret that comes after the volumes.
 */
export function checkMountTargets(service: DesiredService, problems: ProblemSink): void {
  const taken = new Map(service.container.mounts.map((m) => [m.target, "a volume"]));
  for (const c of service.container.configs ?? []) {
    const other = taken.get(c.target);
    if (other) problems.report(["configs"], `config "${c.source}" is mounted at ${c.target}, where ${other} is already mounted`);
    taken.set(c.target, `config "${c.source}"`);
  }
  for (const s of service.secrets ?? []) {
    const path = secretMountPath(s.target);
    const other = taken.get(path);
    if (other) problems.report(["secrets"], `secret "${s.source}" is mounted at ${path}, where ${other} is already mounted`);
  }
}
