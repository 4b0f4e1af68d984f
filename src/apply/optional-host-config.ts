import type Docker from "dockerode";
import type { ContainerSpec } from "../model.js";

/**
 * The HostConfig fields of the keys a spec carries only when set (model.ts), each sent only then:
 * a container the manifest does not ask for them is created exactly as before they existed.
 */
export function optionalHostConfig(spec: ContainerSpec): Partial<Docker.HostConfig> {
  const out: Partial<Docker.HostConfig> = {};
  if (spec.shmSizeBytes !== undefined) out.ShmSize = spec.shmSizeBytes;
  if (spec.securityOpt) out.SecurityOpt = spec.securityOpt;
  if (spec.sysctls) out.Sysctls = spec.sysctls;
  if (spec.runtime !== undefined) out.Runtime = spec.runtime;
  if (spec.dns) out.Dns = spec.dns;
  if (spec.dnsSearch) out.DnsSearch = spec.dnsSearch;
  if (spec.dnsOptions) out.DnsOptions = spec.dnsOptions;
  if (spec.groupAdd) out.GroupAdd = spec.groupAdd;
  if (spec.memoryReservationBytes !== undefined) out.MemoryReservation = spec.memoryReservationBytes;
  if (spec.memorySwapBytes !== undefined) out.MemorySwap = spec.memorySwapBytes;
  if (spec.cpuShares !== undefined) out.CpuShares = spec.cpuShares;
  if (spec.pidsLimit !== undefined) out.PidsLimit = spec.pidsLimit;
  if (spec.deviceRequests) {
    out.DeviceRequests = spec.deviceRequests.map((d) => ({
      Driver: d.driver,
      Count: d.count,
      DeviceIDs: d.deviceIds,
      Capabilities: [d.capabilities],
      Options: d.options,
    }));
  }
  return out;
}
