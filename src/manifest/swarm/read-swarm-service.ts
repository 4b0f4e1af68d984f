import type { SwarmDeploy, UnsentKey } from "../../model.js";
import { normalizeLabels } from "../normalize/normalize-key-values.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { checkSwarmGitdockKeys } from "./check-swarm-gitdock-keys.js";
import { checkSwarmKeys } from "./check-swarm-keys.js";
import { checkSwarmMounts } from "./check-swarm-mounts.js";
import { checkSwarmServiceNetworking } from "./check-swarm-networking.js";
import { checkSwarmLabels } from "./check-swarm-labels.js";
import { swarmPlacement } from "./swarm-placement.js";
import { swarmHostModePorts } from "./swarm-ports.js";
import { swarmRestartPolicy } from "./swarm-restart-policy.js";
import { notOnSwarm, USE_CONTAINERS_HOST } from "./swarm-wording.js";

/**
 * One service as a Swarm service (`engine: swarm`): Compose's `deploy:` as Swarm honours it
 * (SwarmDeploy), and what a Swarm service cannot carry on Engine API 1.41, each a problem at its
 * key, or, where Swarm merely has no use for it, a warning (UnsentKey) logged once per service.
 * `problems` is scoped to `services.<name>`.
 */
export function readSwarmService(service: ServiceInput, problems: ProblemSink): { swarm: SwarmDeploy; unsent: UnsentKey[] } {
  const deploy = service.deploy;
  const mode = deploy?.mode ?? "replicated";
  if (mode === "global" && deploy?.replicas !== undefined) {
    problems.report(
      ["deploy", "replicas"],
      "cannot be combined with mode: global, which runs one task on every node placement allows: remove replicas, or use mode: replicated",
    );
  }
  const endpointMode = deploy?.endpoint_mode ?? "vip";
  const restart = swarmRestartPolicy(service);
  const swarm: SwarmDeploy = {
    mode,
    ...swarmPlacement(deploy?.placement, mode, scopedSink(problems, ["deploy", "placement"])),
    endpointMode,
    labels: normalizeLabels(deploy?.labels, scopedSink(problems, ["deploy", "labels"])),
    restartPolicy: restart.policy,
  };
  const reserved = deploy?.resources?.reservations?.cpus;
  if (reserved !== undefined) swarm.reservedNanoCpus = Math.round(Number(reserved) * 1e9);
  const hostModePorts = swarmHostModePorts(service.ports, endpointMode, problems);
  if (hostModePorts.length > 0) swarm.hostModePorts = hostModePorts;
  checkSwarmLabels(service, problems);
  checkSwarmServiceNetworking(service, problems);
  if (deploy?.resources?.reservations?.devices?.length) {
    problems.report(
      ["deploy", "resources", "reservations", "devices"],
      notOnSwarm(`a Swarm service cannot request devices or GPUs on Engine API 1.41; ${USE_CONTAINERS_HOST}`),
      "key",
    );
  }
  const unsent = [
    ...restart.unsent,
    ...checkSwarmKeys(service, problems),
    ...checkSwarmMounts(service.volumes, problems),
    ...checkSwarmGitdockKeys(service, hostModePorts, problems),
  ];
  return { swarm, unsent };
}
