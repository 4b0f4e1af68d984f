import { containerName } from "../../labels.js";
import type { LoadedFile } from "../load/loaded-file.js";

interface Owner {
  file: LoadedFile;
  project: string;
  service: string;
}

/**
 * Containers are named `<project>-<service>-<n>`, so project `a-b` with service `c` and project
 * `a` with service `b-c` both want `a-b-c-1`. The number after the last `-` is n, so two services
 * collide exactly when `<project>-<service>` is the same and both run at least one replica.
 */
export function checkContainerNames(files: LoadedFile[]): void {
  const byPrefix = new Map<string, Owner[]>();
  for (const file of files) {
    for (const service of file.stack?.services ?? []) {
      if (service.replicas < 1 || file.project === undefined) continue;
      const prefix = `${file.project}-${service.name}`;
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), { file, project: file.project, service: service.name }]);
    }
  }
  for (const owners of byPrefix.values()) {
    if (owners.length < 2) continue;
    for (const owner of owners) {
      const others = owners.filter((o) => o !== owner).map((o) => `service "${o.service}" of project "${o.project}" (${o.file.file})`);
      const name = containerName(owner.project, owner.service, 1);
      owner.file.problems.report(["services", owner.service], `container name "${name}" is also used by ${others.join(", ")}; rename a service or set a distinct name:`, "key");
    }
  }
}
