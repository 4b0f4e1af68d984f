/**
 * The planner: a pure function from the desired state and a snapshot of the host to a list of
 * actions with reasons. It imports nothing from Docker, so every decision is table-tested.
 */
import { replicaName } from "../labels.js";
import { runsToCompletion } from "../one-shot.js";
import { byCodePoint } from "../order.js";
import { planJobs } from "./plan-jobs.js";
import { decodeFieldHashes, HASH_SCHEME, SECRET_FIELDS, wantedHash } from "./spec-hash.js";
import type { ContainerAction, HostSnapshot, JobRun, ObservedContainer, Plan, ResolvedService, ResolvedState } from "./types.js";

/**
 * `release`: the plan rolls out a new commit. Release jobs run only then — never in a drift repair
 * or a restore of the last good commit, whose jobs ran when it was released — so only then are they
 * planned, with their images and whatever holds their names.
 */
export function makePlan(desired: ResolvedState, host: HostSnapshot, opts: { release: boolean }): Plan {
  const byName = indexByName(host.containers.filter((c) => c.previousOf === undefined));
  const wanted = new Set<string>();
  const actions: ContainerAction[] = [];

  for (const { services } of desired.stacks) {
    for (const svc of services) {
      for (let n = 1; n <= svc.service.replicas; n++) {
        const name = replicaName(svc.project, svc.service, n);
        wanted.add(name);
        // A job's container is its last run, kept: the job runs in its phase (plan-jobs.ts), not as a replica.
        if (!svc.service.gitdock.job) actions.push(planReplica(svc, n, name, byName.get(name) ?? []));
      }
    }
  }
  actions.push(...markBlockingRemovals(planPrunes(desired, host.containers, wanted), desired, host.containers));
  actions.sort(byProjectServiceNumber);
  const jobs = opts.release ? planJobs(desired, byName, actions) : { jobs: [], blockers: [] };
  const resources = planNetworksAndVolumes(desired, host);

  return {
    commit: desired.commit,
    actions,
    ...resources,
    blockers: [...resources.blockers, ...jobs.blockers],
    images: neededImages(desired, actions, jobs.jobs),
    ...(jobs.jobs.length ? { jobs: jobs.jobs } : {}),
  };
}

function planReplica(svc: ResolvedService, n: number, name: string, existing: ObservedContainer[]): ContainerAction {
  const base = { project: svc.project, service: svc.service.name, container: name, number: n };
  const foreign = existing.find((c) => !c.managed);
  if (foreign) {
    return { ...base, kind: "conflict", containerId: foreign.id, reasons: ["name held by a container gitdock does not manage"] };
  }
  const current = existing[0];
  if (!current) return { ...base, kind: "create", containerId: undefined, reasons: ["missing"] };
  const reasons = driftReasons(svc, current);
  return { ...base, kind: reasons.length ? "replace" : "unchanged", containerId: current.id, reasons };
}

/** Why an existing managed container no longer matches its desired spec; empty when it does. */
export function driftReasons(svc: ResolvedService, c: ObservedContainer): string[] {
  const reasons: string[] = [];
  if (c.project !== svc.project || c.service !== svc.service.name) reasons.push("config changed: labels");
  else if (c.specHash !== wantedHash(svc, c)) reasons.push(...specReasons(svc, c));
  else if (!sameImage(c.image, svc.spec.image)) reasons.push("image changed");
  if (runsToCompletion(svc.service)) reasons.push(...completionReasons(c));
  else if (!c.running) reasons.push("not running");
  // Only a verdict of its own Docker healthcheck; the repair budget keeps this from looping.
  else if (c.health === "unhealthy") reasons.push("unhealthy");
  // Found by the agent (src/in-place) with drift.in_place: replace; observe passes it on.
  if (c.changedInPlace?.length) reasons.push("changed in place");
  return reasons;
}

/** A one-shot that runs, or exited 0, is as it should be: once it has completed, it is not drift. */
function completionReasons(c: ObservedContainer): string[] {
  if (c.running || c.exitCode === 0) return [];
  return c.exitCode === undefined ? ["not running"] : [`one-shot failed: exit code ${c.exitCode}`];
}

/** The hash the container should carry, in the scheme it was made with. */
/**
 * Which settings changed. With scheme 2, a container made under another host key differs in its
 * secret digests alone when nothing else changed: that is said as such, not as a changed env_file.
 */
function specReasons(svc: ResolvedService, c: ObservedContainer): string[] {
  const have = decodeFieldHashes(c.fieldHashesLabel);
  if (c.hashScheme !== HASH_SCHEME) return specChangeReasons(svc.legacy?.fieldHashes ?? {}, have);
  const newKey = c.keyId !== undefined && svc.keyId !== undefined && c.keyId !== svc.keyId;
  const changed = (k: string) => svc.fieldHashes[k] !== have[k];
  const secretsMoved = newKey && SECRET_FIELDS.some(changed);
  const rest = Object.fromEntries(Object.entries(svc.fieldHashes).filter(([k]) => !(newKey && SECRET_FIELDS.includes(k))));
  const others = Object.keys(rest).some(changed) ? specChangeReasons(rest, have) : [];
  return secretsMoved ? ["secret digest key changed", ...others] : others.length ? others : specChangeReasons(svc.fieldHashes, have);
}

function specChangeReasons(want: Record<string, string>, have: Record<string, string>): string[] {
  const changed = Object.keys(want).filter((k) => want[k] !== have[k]);
  const reasons: string[] = [];
  if (changed.includes("image")) reasons.push("image changed");
  const config = changed.filter((k) => k !== "image").map(fieldLabel);
  if (config.length) reasons.push(`config changed: ${config.join(", ")}`);
  // Same field hashes but a different overall hash: the host key changed or labels were edited.
  if (!reasons.length) reasons.push("config changed");
  return reasons;
}

/** Manifest-style names for spec fields, as a user would search for them in their Compose file. */
const FIELD_LABELS: Record<string, string> = {
  capAdd: "cap_add",
  capDrop: "cap_drop",
  extraHosts: "extra_hosts",
  memoryBytes: "memory",
  nanoCpus: "cpus",
  mounts: "volumes",
  networkMode: "network_mode",
  readOnly: "read_only",
  stopGracePeriodMs: "stop_grace_period",
  stopSignal: "stop_signal",
  workingDir: "working_dir",
  pidMode: "pid",
  ipcMode: "ipc",
  shmSizeBytes: "shm_size",
  securityOpt: "security_opt",
  dnsSearch: "dns_search",
  dnsOptions: "dns_opt",
  stdinOpen: "stdin_open",
  groupAdd: "group_add",
  externalLinks: "external_links",
  memoryReservationBytes: "mem_reservation",
  memorySwapBytes: "memswap_limit",
  cpuShares: "cpu_shares",
  pidsLimit: "pids_limit",
  deviceRequests: "deploy.resources.reservations.devices",
  environmentFromFiles: "env_file",
};

export function fieldLabel(field: string): string {
  return Object.hasOwn(FIELD_LABELS, field) ? (FIELD_LABELS[field] ?? field) : field;
}

/**
 * The Engine reports the reference a container was created from; a container recreated by hand
 * from another image shows up here even when someone copied gitdock's labels onto it.
 */
function sameImage(observed: string, desired: string): boolean {
  if (observed === desired) return true;
  const digest = desired.slice(desired.indexOf("@") + 1);
  return observed.endsWith(`@${digest}`);
}

function planPrunes(desired: ResolvedState, containers: ObservedContainer[], wanted: Set<string>): ContainerAction[] {
  const services = new Map<string, Map<string, number>>();
  for (const { stack, services: svcs } of desired.stacks) {
    services.set(stack.project, new Map(svcs.map((s) => [s.service.name, s.service.replicas])));
  }
  const seen = new Set<string>();
  const prunes: ContainerAction[] = [];
  for (const c of containers) {
    if (!c.managed || c.previousOf !== undefined) continue;
    const keep = wanted.has(c.name) && !seen.has(c.name);
    seen.add(c.name);
    if (keep) continue;
    prunes.push({
      kind: "remove",
      project: c.project ?? "",
      service: c.service ?? "",
      container: c.name,
      number: c.number ?? 0,
      containerId: c.id,
      reasons: [pruneReason(c, services, wanted)],
    });
  }
  return prunes;
}

/**
 * Removals wait for the commit's health (apply-plan.ts), except a container that publishes a host
 * port the commit publishes too: it would keep the new container from starting.
 */
function markBlockingRemovals(prunes: ContainerAction[], desired: ResolvedState, containers: ObservedContainer[]): ContainerAction[] {
  const wanted = new Set(
    desired.stacks.flatMap((s) =>
      s.services.flatMap((svc) => svc.spec.ports.filter((p) => p.published).flatMap((p) => hostPorts(p.published as string, p.protocol))),
    ),
  );
  const byId = new Map(containers.map((c) => [c.id, c]));
  return prunes.map((a) => ((byId.get(a.containerId ?? "")?.publishedPorts ?? []).some((p) => wanted.has(p)) ? { ...a, beforeCreates: true } : a));
}

/** `8080` or `8080-8081` → `8080/tcp`, `8081/tcp`. */
function hostPorts(published: string, protocol: string): string[] {
  const [start = 0, end = start] = published.split("-").map(Number);
  return Array.from({ length: Math.max(0, Math.min(end - start, 1024) + 1) }, (_, i) => `${start + i}/${protocol}`);
}

function pruneReason(c: ObservedContainer, services: Map<string, Map<string, number>>, wanted: Set<string>): string {
  const stack = services.get(c.project ?? "");
  if (!stack) return "stack removed";
  const replicas = stack.get(c.service ?? "");
  if (replicas === undefined) return "service removed";
  if ((c.number ?? 0) > replicas) return "extra replica";
  // The replica is wanted under another name: its container_name was set, changed or removed.
  return wanted.has(c.name) ? "duplicate container" : "container name changed";
}

function planNetworksAndVolumes(desired: ResolvedState, host: HostSnapshot) {
  const haveNetworks = new Set(host.networks.map((n) => n.name));
  const haveVolumes = new Set(host.volumes.map((v) => v.name));
  const blockers: string[] = [];
  const networksToCreate: Plan["networksToCreate"] = [];
  const volumesToCreate: Plan["volumesToCreate"] = [];
  const desiredNetworks = new Set<string>();

  for (const { stack } of desired.stacks) {
    for (const network of stack.networks) {
      desiredNetworks.add(network.name);
      if (haveNetworks.has(network.name)) continue;
      if (network.external) blockers.push(`${stack.file}: external network ${network.name} does not exist; create it first`);
      else networksToCreate.push({ project: stack.project, network });
    }
    for (const volume of stack.volumes) {
      if (haveVolumes.has(volume.name)) continue;
      if (volume.external) blockers.push(`${stack.file}: external volume ${volume.name} does not exist; create it first`);
      else volumesToCreate.push({ project: stack.project, volume });
    }
  }
  const networksToRemove = host.networks
    .filter((n) => n.managed && !desiredNetworks.has(n.name))
    .map((n) => n.name)
    .sort();
  return { networksToCreate, volumesToCreate, networksToRemove, blockers };
}

function neededImages(desired: ResolvedState, actions: ContainerAction[], jobs: readonly JobRun[]): string[] {
  const images = new Map<string, string>();
  for (const { services } of desired.stacks) {
    for (const s of services) images.set(`${s.project}/${s.service.name}`, s.spec.image);
  }
  const needed = new Set<string>();
  for (const a of [...actions.filter((x) => x.kind === "create" || x.kind === "replace"), ...jobs]) {
    const image = images.get(`${a.project}/${a.service}`);
    if (image) needed.add(image);
  }
  return [...needed].sort();
}

function indexByName(containers: ObservedContainer[]): Map<string, ObservedContainer[]> {
  const map = new Map<string, ObservedContainer[]>();
  for (const c of containers) {
    const list = map.get(c.name) ?? [];
    list.push(c);
    map.set(c.name, list);
  }
  return map;
}

function byProjectServiceNumber(a: ContainerAction, b: ContainerAction): number {
  return byCodePoint(a.project, b.project) || byCodePoint(a.service, b.service) || a.number - b.number;
}

export function hasChanges(plan: Plan): boolean {
  return (
    plan.actions.some((a) => a.kind !== "unchanged" && a.kind !== "conflict") ||
    plan.networksToCreate.length > 0 ||
    plan.volumesToCreate.length > 0 ||
    plan.networksToRemove.length > 0 ||
    (plan.jobs?.length ?? 0) > 0
  );
}
