import { LABEL } from "../labels.js";
import type { NetworkSpec, VolumeSpec } from "../model.js";

/** The body of POST /volumes/create for a stack's volume: what apply sends and the host policy judges. */
export function volumeCreateBody(project: string, volume: VolumeSpec, agentId: string) {
  return {
    Name: volume.name,
    Driver: volume.driver ?? "local",
    DriverOpts: volume.driverOpts,
    Labels: { ...volume.labels, ...ownerLabels(project, agentId), [LABEL.composeVolume]: volume.key },
  };
}

/** The body of POST /networks/create for a stack's network. */
export function networkCreateBody(project: string, network: NetworkSpec, agentId: string) {
  return {
    Name: network.name,
    Driver: network.driver ?? "bridge",
    Options: network.driverOpts,
    Internal: network.internal,
    Attachable: network.attachable,
    CheckDuplicate: true,
    Labels: { ...network.labels, ...ownerLabels(project, agentId), [LABEL.composeNetwork]: network.key },
  };
}

function ownerLabels(project: string, agentId: string): Record<string, string> {
  return { [LABEL.managed]: "true", [LABEL.agent]: agentId, [LABEL.composeProject]: project };
}

