import type { UnsentKey } from "../../model.js";
import type { DocPath } from "../format-path.js";
import { parseLongMount, parseShortMount } from "../parse/parse-mount.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm } from "./swarm-wording.js";

const RELATIVE_SOURCE =
  "a relative source is a file of the repository or a data directory on the host gitdock runs on, and the nodes that run the tasks have neither; mount files with configs: (file: ./path, target: /path) and keep data in a named volume";

const SELINUX =
  "a Swarm service's mounts cannot relabel their source for SELinux on Engine API 1.41; label it on the nodes (chcon -Rt container_file_t <path>) and remove z/Z";

/**
 * A Swarm service's mounts (ContainerSpec.Mounts) are made on whichever node runs a task: files of
 * the repository and data directories (relative sources, which live on the host gitdock runs on)
 * are refused, and an absolute bind source must exist on every node that may run a task (Swarm
 * does not create it), which is said once per service. Entries the parser refuses were reported.
 */
export function checkSwarmMounts(volumes: ServiceInput["volumes"], problems: ProblemSink): UnsentKey[] {
  const unsent: UnsentKey[] = [];
  for (const [i, entry] of (volumes ?? []).entries()) {
    const parsed = typeof entry === "string" ? parseShortMount(entry) : parseLongMount(entry);
    if (!("mount" in parsed)) continue;
    const { mount } = parsed;
    const at = (...long: string[]): DocPath => (typeof entry === "string" ? ["volumes", i] : ["volumes", i, ...long]);
    if (mount.type === "relative") problems.report(at("source"), notOnSwarm(RELATIVE_SOURCE));
    if ((mount.type === "relative" || mount.type === "bind") && mount.selinux !== undefined) problems.report(at("bind", "selinux"), notOnSwarm(SELINUX));
    if (mount.type === "bind") {
      unsent.push({
        key: `volumes[${i}]`,
        reason:
          "Swarm does not create a bind mount's source (bind.create_host_path): it must exist on every node that may run a task; constrain placement to those nodes",
      });
    }
  }
  return unsent;
}
