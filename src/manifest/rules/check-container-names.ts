import { containerName } from "../../labels.js";
import type { LoadedFile } from "../load/loaded-file.js";

interface Owner {
  file: LoadedFile;
  project: string;
  service: string;
  /** `container_name:`, when the service has one. */
  fixed: string | undefined;
  replicas: number;
}

/**
 * Every container name is wanted by one service only. Generated names are `<project>-<service>-<n>`,
 * so project `a-b` with service `c` and project `a` with service `b-c` both want `a-b-c-1`: two
 * services collide exactly when `<project>-<service>` is the same and both run a replica. A
 * `container_name` collides with another service's `container_name`, and with a generated name
 * `<prefix>-<n>` when that service runs at least n replicas.
 */
export function checkContainerNames(files: LoadedFile[]): void {
  const generated = new Map<string, Owner[]>();
  const fixed = new Map<string, Owner[]>();
  for (const file of files) {
    for (const service of file.stack?.services ?? []) {
      if (service.replicas < 1 || file.project === undefined) continue;
      const owner: Owner = { file, project: file.project, service: service.name, fixed: service.containerName, replicas: service.replicas };
      if (owner.fixed !== undefined) add(fixed, owner.fixed, owner);
      else add(generated, `${file.project}-${service.name}`, owner);
    }
  }
  for (const owners of [...generated.values(), ...fixed.values()]) {
    if (owners.length > 1)
      for (const owner of owners)
        report(
          owner,
          owners.filter((o) => o !== owner),
        );
  }
  for (const [name, owners] of fixed) {
    const dash = name.lastIndexOf("-");
    const n = Number(name.slice(dash + 1));
    if (dash < 0 || !Number.isInteger(n) || n < 1) continue;
    const clash = (generated.get(name.slice(0, dash)) ?? []).filter((o) => o.replicas >= n);
    for (const owner of owners) if (clash.length) report(owner, clash);
    for (const owner of clash) report(owner, owners, n);
  }
}

function add(map: Map<string, Owner[]>, key: string, owner: Owner): void {
  map.set(key, [...(map.get(key) ?? []), owner]);
}

function report(owner: Owner, others: Owner[], number = 1): void {
  const names = others.map((o) => `service "${o.service}" of project "${o.project}" (${o.file.file})`);
  const name = owner.fixed ?? containerName(owner.project, owner.service, number);
  const path = owner.fixed === undefined ? ["services", owner.service] : ["services", owner.service, "container_name"];
  owner.file.problems.report(path, `container name "${name}" is also used by ${names.join(", ")}; rename a service or set a distinct container_name`, "key");
}
