import type { DesiredStack, DesiredService, ContainerSpec, JobPhase, NetworkSpec, VolumeSpec } from "../model.js";

/** A desired service with its host inputs merged in and its hashes computed: what the planner compares. */
export interface ResolvedService {
  project: string;
  service: DesiredService;
  /** The container spec with env_file contents merged into `environment`. */
  spec: ContainerSpec;
  specHash: string;
  fieldHashes: Record<string, string>;
  /** The host key's short id (spec-hash.ts hostKeyId), stamped with the hashes. */
  keyId?: string;
  /** The hashes of the scheme before 2, to compare containers made before it (spec-hash.ts). */
  legacy?: { specHash: string; fieldHashes: Record<string, string> };
}

export interface ResolvedStack {
  stack: DesiredStack;
  services: ResolvedService[];
}

export interface ResolvedState {
  commit: string;
  stacks: ResolvedStack[];
}

/** What observe reports about one container on the host. */
export interface ObservedContainer {
  id: string;
  name: string;
  /** Carries gitdock.managed=true and this agent's id: gitdock may change it. */
  managed: boolean;
  project: string | undefined;
  service: string | undefined;
  number: number | undefined;
  commit: string | undefined;
  specHash: string | undefined;
  /** The `gitdock.field-hashes` label as it is: decoded only when the spec hash differs (plan.ts). */
  fieldHashesLabel: string | undefined;
  /** `gitdock.hash-scheme`: undefined for containers made before scheme 2. */
  hashScheme?: string;
  /** `gitdock.key-id`: the host key its hashes were made with. */
  keyId?: string;
  /** The image reference the container was created from, as the Engine reports it. */
  image: string;
  state: string;
  running: boolean;
  /** The Docker healthcheck's verdict as the Engine lists it; "none" without a healthcheck. */
  health: "healthy" | "unhealthy" | "starting" | "none";
  /** Set on a stopped previous revision kept for rollback: the name of the container that replaced it. */
  previousOf: string | undefined;
  /** Host ports it publishes, as `<port>/<protocol>` (from the list call; empty when stopped). */
  publishedPorts?: string[];
  /** Its exit code, when it has exited (the list call's Status: `Exited (0) 5 seconds ago`). */
  exitCode?: number;
  /** `gitdock.job`: a release job's container, with its phase. */
  job?: JobPhase;
  /** `gitdock.one-shot`: it runs to completion (a job, or a service others wait for with service_completed_successfully). */
  oneShot?: true;
  /**
   * What changed in it that no commit made (`exec`, `writable layer`), with `drift.in_place:
   * replace` (src/in-place); the planner replaces it from its image. Absent otherwise.
   */
  changedInPlace?: string[];
}

export interface ObservedResource {
  name: string;
  project: string | undefined;
  managed: boolean;
}

export interface HostSnapshot {
  containers: ObservedContainer[];
  networks: ObservedResource[];
  volumes: ObservedResource[];
}

export type ContainerActionKind = "create" | "replace" | "remove" | "unchanged" | "conflict";

export interface ContainerAction {
  kind: ContainerActionKind;
  project: string;
  service: string;
  /** Container name (`<project>-<service>-<n>`). */
  container: string;
  number: number;
  /** The existing container this action acts on (replace, remove, unchanged, conflict). */
  containerId: string | undefined;
  reasons: string[];
  /**
   * A removal that must happen before the new containers start: the container publishes a host
   * port a container of the commit publishes too. Every other removal waits until the whole commit
   * passed its gates, so a release that fails never took down what it was about to remove.
   */
  beforeCreates?: true;
}

export interface Plan {
  commit: string;
  actions: ContainerAction[];
  networksToCreate: { project: string; network: NetworkSpec }[];
  volumesToCreate: { project: string; volume: VolumeSpec }[];
  /** Networks gitdock created for stacks or keys that left the manifest; removed once empty. */
  networksToRemove: string[];
  /** Images the plan's creates and replaces need. */
  images: string[];
  /** Reasons the plan cannot be applied at all (e.g. an external network that does not exist). */
  blockers: string[];
  /** Release jobs this rollout runs (plan-jobs.ts), in name order; present only when there are some. */
  jobs?: JobRun[];
}

/** One run of a release job (`x-gitdock.job`): a one-off container that must exit 0. */
export interface JobRun {
  project: string;
  service: string;
  /** The job's container name (`<project>-<service>-1`, or its container_name). */
  container: string;
  phase: JobPhase;
  /** The container of its last run, kept under the job's name; the new run replaces it. */
  containerId: string | undefined;
  /** Services of the same stack it depends on: jobs of its phase among them run first. */
  dependsOn: string[];
  reasons: string[];
}
