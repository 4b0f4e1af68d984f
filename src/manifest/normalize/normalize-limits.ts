import type { ContainerSpec, DeviceRequestSpec, UnsentKey } from "../../model.js";
import type { ManifestEngine } from "../load/load-environment.js";
import { parseByteSize } from "../parse/parse-byte-size.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { normalizeLabels } from "./normalize-key-values.js";
import { sortedSet } from "./sorted-record.js";

type DeployInput = NonNullable<ServiceInput["deploy"]>;
type DeviceInput = NonNullable<NonNullable<NonNullable<DeployInput["resources"]>["reservations"]>["devices"]>[number];

export interface Resources {
  memoryBytes: number | undefined;
  nanoCpus: number | undefined;
  /** The newer fields, each only when set (see ContainerSpec). */
  extra: Pick<ContainerSpec, "memoryReservationBytes" | "memorySwapBytes" | "cpuShares" | "pidsLimit" | "deviceRequests">;
  unsent: UnsentKey[];
}

/** One setting written as a service key and under `deploy.resources`: the same value either way, or a problem. */
interface Twin<T> {
  key: string;
  value: T | undefined;
  deployPath: string[];
  deployValue: T | undefined;
}

/**
 * Limits and reservations, from the service keys (`mem_limit`, `cpus`, `mem_reservation`,
 * `pids_limit`, ...) and from `deploy.resources`, which say the same thing in two places: both may
 * be written only with equal values. Memory in bytes, CPUs as the Engine's NanoCpus (cpus × 10⁹).
 * A CPU reservation is unsent on plain containers only: a Swarm reserves it (SwarmDeploy).
 */
export function normalizeResources(service: ServiceInput, problems: ProblemSink, engine: ManifestEngine = "containers"): Resources {
  const resources = service.deploy?.resources;
  const memoryBytes = twin(
    { key: "mem_limit", value: bytes(service.mem_limit), deployPath: ["limits", "memory"], deployValue: bytes(resources?.limits?.memory) },
    problems,
  );
  const cpus = twin({ key: "cpus", value: cpuCount(service.cpus), deployPath: ["limits", "cpus"], deployValue: cpuCount(resources?.limits?.cpus) }, problems);
  const reservation = twin(
    {
      key: "mem_reservation",
      value: bytes(service.mem_reservation),
      deployPath: ["reservations", "memory"],
      deployValue: bytes(resources?.reservations?.memory),
    },
    problems,
  );
  const pids = twin(
    {
      key: "pids_limit",
      value: unlimitedAsMinusOne(service.pids_limit),
      deployPath: ["limits", "pids"],
      deployValue: unlimitedAsMinusOne(resources?.limits?.pids),
    },
    problems,
  );
  const swap = memorySwap(service.memswap_limit, memoryBytes, problems);
  if (reservation !== undefined && memoryBytes !== undefined && reservation > memoryBytes) {
    problems.report(
      service.mem_reservation !== undefined ? ["mem_reservation"] : ["deploy", "resources", "reservations", "memory"],
      "the memory reservation cannot exceed the memory limit",
    );
  }
  const extra: Resources["extra"] = {};
  if (reservation !== undefined) extra.memoryReservationBytes = reservation;
  if (swap !== undefined) extra.memorySwapBytes = swap;
  // 0 is the Engine's default weight (1024 in effect): the same as leaving it out.
  if (service.cpu_shares !== undefined && service.cpu_shares > 0) extra.cpuShares = service.cpu_shares;
  if (pids !== undefined) extra.pidsLimit = pids;
  const devices = (resources?.reservations?.devices ?? []).flatMap((d, i) => deviceRequest(d, ["deploy", "resources", "reservations", "devices", i], problems));
  if (devices.length > 0) extra.deviceRequests = devices;
  const unsent: UnsentKey[] = [];
  if (resources?.reservations?.cpus !== undefined && engine === "containers") {
    unsent.push({
      key: "deploy.resources.reservations.cpus",
      reason: "a plain container has no CPU reservation (use cpus for a limit or cpu_shares for a weight)",
    });
  }
  return { memoryBytes, nanoCpus: cpus === undefined ? undefined : Math.round(cpus * 1e9), extra, unsent };
}

function twin<T>(t: Twin<T>, problems: ProblemSink): T | undefined {
  if (t.value !== undefined && t.deployValue !== undefined && t.value !== t.deployValue) {
    problems.report([t.key], `says ${String(t.value)} but deploy.resources.${t.deployPath.join(".")} says ${String(t.deployValue)}; write it once`);
  }
  return t.value ?? t.deployValue;
}

function bytes(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseByteSize(value);
}

function cpuCount(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** The Engine reads 0 and -1 alike as "no limit". */
function unlimitedAsMinusOne(value: number | undefined): number | undefined {
  return value === 0 ? -1 : value;
}

/** `memswap_limit`: memory plus swap, so it needs a memory limit and cannot be below it; -1 is unlimited swap. */
function memorySwap(input: string | number | undefined, memory: number | undefined, problems: ProblemSink): number | undefined {
  if (input === undefined) return undefined;
  const swap = input === -1 ? -1 : bytes(input);
  if (memory === undefined) {
    problems.report(["memswap_limit"], "needs a memory limit (mem_limit or deploy.resources.limits.memory): it is memory plus swap");
    return undefined;
  }
  if (swap !== undefined && swap !== -1 && swap < memory) {
    problems.report(["memswap_limit"], "cannot be less than the memory limit: it is memory plus swap (equal means no swap)");
  }
  return swap;
}

function deviceRequest(d: DeviceInput, at: (string | number)[], problems: ProblemSink): DeviceRequestSpec[] {
  if (d.capabilities.length === 0) {
    problems.report([...at, "capabilities"], 'must name at least one capability, e.g. ["gpu"]');
    return [];
  }
  if (d.count !== undefined && d.device_ids !== undefined) {
    problems.report([...at, "count"], "cannot be combined with device_ids: the ids say which devices, and so how many");
    return [];
  }
  const count = d.device_ids !== undefined ? 0 : d.count === undefined || d.count === "all" ? -1 : d.count;
  return [
    {
      driver: d.driver ?? "",
      count,
      deviceIds: d.device_ids ?? [],
      capabilities: sortedSet(d.capabilities),
      options: normalizeLabels(d.options, { report: (path, message) => problems.report([...at, "options", ...path], message) }),
    },
  ];
}
