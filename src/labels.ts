/**
 * The labels gitdock stamps on what it creates, declared once. Observation, drift detection
 * and pruning read only these. The Compose labels make `docker compose ls/ps` see the stacks.
 */
export const LABEL = {
  composeProject: "com.docker.compose.project",
  composeService: "com.docker.compose.service",
  composeNumber: "com.docker.compose.container-number",
  composeOneoff: "com.docker.compose.oneoff",
  composeNetwork: "com.docker.compose.network",
  composeVolume: "com.docker.compose.volume",
  /** `docker stack deploy`'s namespace: `docker stack ls/ps/rm` group a Swarm's services (and their networks, secrets, configs) by it. */
  stackNamespace: "com.docker.stack.namespace",
  managed: "gitdock.managed",
  /** Which agent owns it (`--host-id`), so agents sharing an engine never prune each other's stacks. */
  agent: "gitdock.agent",
  commit: "gitdock.commit",
  specHash: "gitdock.spec-hash",
  /** Short hashes per spec field, so a plan can say *which* settings changed. */
  fieldHashes: "gitdock.field-hashes",
  /** Which spec hash scheme the labels use (plan/spec-hash.ts); absent on containers made before scheme 2. */
  hashScheme: "gitdock.hash-scheme",
  /** A short id of the host key the secret digests were made with, so a new key is told from a changed spec. */
  keyId: "gitdock.key-id",
  /** On a Swarm service's tasks: a hash of its task template, so the gate tells the tasks of a new spec from the old ones (src/swarm/). */
  taskHash: "gitdock.task-hash",
  /** On gitdock's state object in a Swarm (cluster-state.ts): what another manager's agent needs to carry on, as JSON. */
  swarmState: "gitdock.swarm-state",
  /** On the same object: which agent process may change the Swarm now, and until when (`<holder> <ms since the epoch>`). */
  swarmLease: "gitdock.swarm-lease",
  /** A release job's container: its phase (`pre-deploy`, `post-deploy`). Its run is judged by its exit code. */
  job: "gitdock.job",
  /** `true` on a one-shot's container (others wait for it with service_completed_successfully): exited 0 is done, not drift. */
  oneShot: "gitdock.one-shot",
} as const;

/**
 * A replaced container is kept, stopped, until the new release is healthy, so that a rollback is a
 * rename and a start. Labels cannot be changed on an existing container, so the mark is its name:
 * `<name>.gitdock-prev` (Compose never puts a dot in the names it makes).
 */
export const PREVIOUS_SUFFIX = ".gitdock-prev";

export function previousName(name: string): string {
  return `${name}${PREVIOUS_SUFFIX}`;
}

/** The live name a retained container stood in for, or undefined for an ordinary container. */
export function previousOf(name: string): string | undefined {
  return name.endsWith(PREVIOUS_SUFFIX) ? name.slice(0, -PREVIOUS_SUFFIX.length) : undefined;
}

/**
 * A failed release's container, set aside during a rollback so the kept container can take its
 * name at once; removed right after (or, after a crash, pruned by the next pass like any managed
 * container whose name the manifest does not want).
 */
export function failedName(name: string): string {
  return `${name}.gitdock-failed`;
}

export const MANAGED_FILTER = `${LABEL.managed}=true`;

/** Compose's container name: `<project>-<service>-<n>`. */
export function containerName(project: string, service: string, number: number): string {
  return `${project}-${service}-${number}`;
}

/**
 * The name of a service's replica `n`: its `container_name` (a service with one has one replica),
 * else Compose's. Plan, apply and the policy all find a service's containers by this name.
 */
export function replicaName(project: string, service: { name: string; containerName?: string | undefined }, number: number): string {
  return service.containerName ?? containerName(project, service.name, number);
}

/** Compose's name for a stack's network or volume: `<project>_<key>`, unless the manifest names it. */
export function scopedResourceName(project: string, key: string): string {
  return `${project}_${key}`;
}
