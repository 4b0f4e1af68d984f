import type { UnsentKey } from "../../model.js";
import type { DocPath } from "../format-path.js";
import { parseLongMount, parseShortMount } from "../parse/parse-mount.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { notOnSwarm } from "./swarm-wording.js";

const RELATIVE_SOURCE =
  "a relative source is a file of the repository or a data directory on the host gitdock runs on, and the nodes that run the tasks have neither; mount files with configs: instead, from a top-level config with file: ./path, and keep data in a named volume";

const NOT_CREATED = "Swarm does not create a missing bind source: it must exist on every node that may run a task; constrain placement to those nodes";

const SELINUX =
  "a Swarm service's mounts cannot relabel their source for SELinux on Engine API 1.41; label it on the nodes with chcon -Rt container_file_t <path>, and remove z/Z";

/**
 * A Swarm service's mounts (ContainerSpec.Mounts) are made on whichever node runs a task: files of
 * the repository and data directories (relative sources, which live on the host gitdock runs on)
 * are refused. An absolute bind source is mounted, but Swarm never creates a missing one: the
 * creation Compose implies (`bind.create_host_path`, true unless written false) is not sent, and
 * said so once per service. Entries the parser refuses were reported already.
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
    if (mount.type === "bind" && mount.createHostPath) unsent.push({ key: `volumes[${i}].bind.create_host_path`, reason: NOT_CREATED });
  }
  return unsent;
}
