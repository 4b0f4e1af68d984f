import { LABEL } from "../labels.js";
import type { IpamSpec, NetworkSpec, VolumeSpec } from "../model.js";

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
    // Only when the manifest asks: otherwise the Engine picks from its own pools, as before.
    ...(network.ipam ? { IPAM: ipamBody(network.ipam) } : {}),
    ...(network.enableIpv6 ? { EnableIPv6: true } : {}),
  };
}

function ipamBody(ipam: IpamSpec) {
  return {
    Driver: ipam.driver ?? "default",
    Config: ipam.pools.map((p) => ({
      ...(p.subnet !== undefined ? { Subnet: p.subnet } : {}),
      ...(p.ipRange !== undefined ? { IPRange: p.ipRange } : {}),
      ...(p.gateway !== undefined ? { Gateway: p.gateway } : {}),
      ...(Object.keys(p.auxAddresses).length > 0 ? { AuxiliaryAddresses: p.auxAddresses } : {}),
    })),
    Options: ipam.options,
  };
}

function ownerLabels(project: string, agentId: string): Record<string, string> {
  return { [LABEL.managed]: "true", [LABEL.agent]: agentId, [LABEL.composeProject]: project };
}
