import type { SecretBytes } from "./secrets/secret-bytes.js";

/**
 * The desired state: what the manifest stage produces and the planner and apply stages consume.
 * Plain data only (no Docker types), so the planner can stay pure.
 *
 * Durations are milliseconds. Sizes are bytes. Every record is fully normalized: two manifests
 * that mean the same thing produce the same objects, which is what makes the spec hash stable.
 */

export interface DesiredState {
  /** Full SHA of the commit the state was read from. */
  commit: string;
  stacks: DesiredStack[];
}

export interface DesiredStack {
  /** Compose project name: the file's top-level `name:` or its directory's name. */
  project: string;
  /** Path of the Compose file relative to the repository root. */
  file: string;
  services: DesiredService[];
  networks: NetworkSpec[];
  volumes: VolumeSpec[];
  /** Top-level `secrets:`; present only when the file declares some (older stacks compare equal). */
  secrets?: SecretSpec[];
  /**
   * Files from the repository this stack mounts, as gitdock's store holds them (src/files/); made
   * on the host before the first change. Present only when the stack mounts some.
   */
  storeObjects?: StoreObject[];
  /**
   * Encrypted files of the repository this stack uses (src/secrets/): where, for whom, which
   * services. Present only when the stack uses some. Never their content.
   */
  encryptedFiles?: EncryptedFileUse[];
  /** Decrypted secret and config files this stack mounts, made on the host's tmpfs before the first change. */
  decryptedFiles?: DecryptedFileObject[];
}

/** An encrypted file of the repository as a stack uses it: metadata only, never the content. */
export interface EncryptedFileUse {
  /** Repository-relative path. */
  repoPath: string;
  /** `sops` (yaml, json, dotenv, binary) or `age`. */
  kind: "sops" | "age";
  format: string;
  /** Who the file is encrypted for (`age age1…`, `pgp <fingerprint>`), as written in it. */
  recipients: string[];
  /** As env_file, secret, config or variables file. */
  usedAs: "env_file" | "secret" | "config" | "variables";
  /** The services that use it (empty for a variables file: the whole stack reads it). */
  services: string[];
  /** Whether this host decrypted it (MAC checked); undefined where no key was at hand (validate, history). */
  decrypted?: boolean;
}

/**
 * A decrypted secret or config, written on the host's tmpfs (`<store>/<name>`; `store` is the
 * secrets runtime directory) with its mode and owner, and mounted read-only. Its name is a digest
 * of the content keyed with the host key: it changes exactly when the content does, and tells
 * nothing about it. The content lives in memory only (SecretBytes never serializes).
 */
export interface DecryptedFileObject {
  store: string;
  name: string;
  content: SecretBytes;
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
  repoPath: string;
}

/** A file from the repository as the store keeps it: its bytes, and the mode and owner it is made with. */
export interface StoredFile {
  content: Uint8Array;
  /** Permission bits: 0444, 0555 for a file Git marks executable, or a config's `mode`. */
  mode: number;
  /** Owner; undefined: the user gitdock runs as (root). */
  uid: number | undefined;
  gid: number | undefined;
}

/**
 * One object of the store, named by its content: a file (`sha256/<digest>`, with its mode and owner
 * in the name when they are not the default) or a directory (`trees/<digest of its listing>`).
 * `store` is the store's directory (`<state_dir>/files`); the object is at `<store>/<name>`.
 */
export type StoreObject =
  | { kind: "file"; store: string; name: string; file: StoredFile }
  | { kind: "tree"; store: string; name: string; files: { path: string; file: StoredFile }[]; dirs: string[] };

/** A top-level `secrets:` entry: a file on the host, never in Git. Its content is read when gitdock plans. */
export interface SecretSpec {
  key: string;
  /** Absolute host path; for an encrypted file of the repository, its repository path. */
  file: string;
  /** Present for an encrypted file of the repository (decrypted on the host): its repository path. */
  encrypted?: string;
}

/** A secret a service mounts, read-only, at `/run/secrets/<target>` (or at `target` when it is an absolute path). */
export interface ServiceSecret {
  /** Key under the stack's top-level `secrets:`. */
  source: string;
  /** File name under /run/secrets (default: the source key), or an absolute path in the container. */
  target: string;
  /** The host file, resolved from the top-level declaration. */
  file: string;
  /**
   * `mode`, `uid`, `gid` as written: the host file is mounted as it is, so these are checked
   * against it on the host (observe/secret-digest.ts), never changed. Present only when written.
   */
  expect?: { mode?: number; uid?: number; gid?: number };
  /** Present when decrypted from the repository: its repository path (`file` is the decrypted file, made with the mode and owner asked for). */
  encrypted?: string;
}

export interface NetworkSpec {
  /** Key under top-level `networks:` (`default` for the implicit default network). */
  key: string;
  /** Engine name: `name:` if given, else `<project>_<key>`; for external networks, the name as given. */
  name: string;
  external: boolean;
  driver: string | undefined;
  driverOpts: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  // Left out when unused, so networks declared before these keys existed compare equal.
  /** `ipam:`; present only when it sets something. */
  ipam?: IpamSpec;
  /** `enable_ipv6: true`; left out when false (the Engine's default). */
  enableIpv6?: true;
}

/** A network's address management: `networks.<key>.ipam`. */
export interface IpamSpec {
  /** The IPAM driver; undefined means the Engine's `default`. */
  driver: string | undefined;
  pools: IpamPool[];
  options: Record<string, string>;
}

/** One `ipam.config` entry: a subnet and what is carved out of it. */
export interface IpamPool {
  subnet: string | undefined;
  ipRange: string | undefined;
  gateway: string | undefined;
  /** Addresses the driver must not hand out, by name. */
  auxAddresses: Record<string, string>;
}

export interface VolumeSpec {
  key: string;
  name: string;
  external: boolean;
  driver: string | undefined;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export type DependsOnCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface DependsOn {
  service: string;
  condition: DependsOnCondition;
  required: boolean;
}

export interface UpdateConfig {
  parallelism: number;
  delayMs: number;
  order: "stop-first" | "start-first";
  failureAction: "rollback" | "pause" | "continue";
  monitorMs: number;
  /**
   * `max_failure_ratio`: the share of a batch's replicas that may fail their gate before the batch
   * counts as failed (Swarm's `--update-max-failure-ratio`). Left out when 0, the default.
   */
  maxFailureRatio?: number;
}

export type Probe = { kind: "http"; port: number; path: string; expectStatus: number } | { kind: "tcp"; port: number };

/** When a release job runs: before the first container is replaced, or once the new ones passed their gates. */
export type JobPhase = "pre-deploy" | "post-deploy";

/** gitdock's own keys under a service's `x-gitdock:`. */
export interface GitdockServiceOptions {
  probe: Probe | undefined;
  healthTimeoutMs: number;
  // Left out when unused, so services declared before these keys existed look as they did.
  /** `job:`: the service is a release job, a one-off container run once per commit (src/apply/run-jobs.ts). */
  job?: JobPhase;
  /** `job_timeout:` (jobs only; the default is filled in for every job). */
  jobTimeoutMs?: number;
  /** `writable_paths:`, absolute, sorted: changes under them are not "changed in place" (src/in-place). */
  writablePaths?: string[];
}

/** A key gitdock accepts but cannot send to this Engine; logged once per service when apply creates its containers. */
export interface UnsentKey {
  /** The document path under the service, dotted: `healthcheck.start_interval`. */
  key: string;
  /** Why it is not sent, in gitdock's words. */
  reason: string;
}

export interface DesiredService {
  name: string;
  replicas: number;
  dependsOn: DependsOn[];
  /**
   * In order, later ones winning: absolute host paths (read on the host when the plan is made,
   * never at validate time), and files from the repository, read from the commit's tree.
   */
  envFiles: EnvFileSource[];
  updateConfig: UpdateConfig;
  rollbackConfig: UpdateConfig;
  gitdock: GitdockServiceOptions;
  container: ContainerSpec;
  /** Present only when the service mounts secrets. Resolved into `ContainerSpec.secrets` on the host. */
  secrets?: ServiceSecret[];
  /** `container_name:` (one replica, stop-first only); the container's name instead of `<project>-<service>-1`. */
  containerName?: string;
  /** `pull_policy:` when it is not the default (pull when missing). */
  pullPolicy?: "always" | "never";
  /** Keys accepted but not sent to the Engine, with the reason; see UnsentKey. */
  unsent?: UnsentKey[];
  /**
   * Another service of the stack waits for it with `depends_on: {condition:
   * service_completed_successfully}`: it runs to completion, its gate is its exit code, and once it
   * has exited 0 it is not drift. Left out otherwise.
   */
  oneShot?: true;
  /** Swarm's own `deploy:` keys, read under `engine: swarm` only (src/swarm/); left out otherwise. */
  swarm?: SwarmDeploy;
}

/**
 * What a Swarm service adds to one container's spec (Compose's `deploy:` as Swarm honours it). Read
 * only when the agent drives a Swarm (`engine: swarm`), so the container engine's hashes never see it.
 */
export interface SwarmDeploy {
  mode: "replicated" | "global";
  /** `placement.constraints`, as written (`node.role==manager`, `node.labels.zone==a`). */
  constraints: string[];
  /** `placement.preferences[].spread`, in order. */
  spread: string[];
  /** `placement.max_replicas_per_node`; left out when unset. */
  maxReplicasPerNode?: number;
  endpointMode: "vip" | "dnsrr";
  /** `deploy.labels`: on the service, not on its tasks' containers. */
  labels: Record<string, string>;
  /** `deploy.restart_policy` whole (Swarm has a delay and a window); Swarm's default is condition any. */
  restartPolicy: { condition: "none" | "on-failure" | "any"; delayMs?: number; maxAttempts?: number; windowMs?: number };
  /** `deploy.resources.reservations.cpus`, in nano CPUs; left out when unset. */
  reservedNanoCpus?: number;
  /** `ports[].mode: host`, as `target/protocol` (`443/tcp`), sorted: published on the node that runs the task, not through the routing mesh. Left out when none. */
  hostModePorts?: string[];
}

/** An env file in the repository, read from the commit's tree by the manifest stage. */
export interface RepoEnvFile {
  /** Repository-relative path. */
  repoPath: string;
  /** Its variables; empty for an optional file (`required: false`) that is not in the tree. */
  values: Record<string, string>;
  /** Decrypted from an encrypted file: its values are secrets, keyed in the spec hash like a host env_file's. */
  secret?: true;
}

export type EnvFileSource = string | RepoEnvFile;

export interface PortSpec {
  /** Port inside the container. */
  target: number;
  /** Host port or range ("8080", "8080-8081"); undefined means an ephemeral host port, "" means not published. */
  published: string | undefined;
  hostIp: string | undefined;
  protocol: "tcp" | "udp" | "sctp";
}

export type MountSpec =
  | { type: "volume"; source: string | undefined; target: string; readOnly: boolean; nocopy: boolean }
  | BindMountSpec
  | { type: "tmpfs"; target: string; sizeBytes: number | undefined };

export interface BindMountSpec {
  type: "bind";
  source: string;
  target: string;
  readOnly: boolean;
  createHostPath: boolean;
  /** `:z` / `:Z` (or `bind.selinux`): SELinux relabeling, shared or private. Left out when not asked. */
  selinux?: "z" | "Z";
}

export interface ServiceNetwork {
  /** Key under the stack's top-level `networks:`. */
  key: string;
  aliases: string[];
  ipv4Address: string | undefined;
}

export interface HealthcheckSpec {
  /** Docker's form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test: string[];
  intervalMs: number | undefined;
  timeoutMs: number | undefined;
  retries: number | undefined;
  startPeriodMs: number | undefined;
}

/** A Compose config from the repository: a store file mounted read-only at `target`. */
export interface ConfigMountSpec {
  /** Key under the stack's top-level `configs:`. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  /** The store object (`<store>/sha256/...`): its name holds the content's digest, mode and owner. */
  file: string;
}

/** `devices: ["/dev/ttyUSB0:/dev/ttyUSB0:rwm"]`. */
export interface DeviceSpec {
  source: string;
  target: string;
  /** cgroup permissions, a subset of "rwm". */
  permissions: string;
}

/** `deploy.resources.reservations.devices` entry: devices (GPUs) a driver hands the container. */
export interface DeviceRequestSpec {
  /** Empty: the Engine picks the driver by the capabilities. */
  driver: string;
  /** -1 means all; left at 0 when `device_ids` names them. */
  count: number;
  deviceIds: string[];
  /** One AND-list of capabilities (Compose's `capabilities`), sorted. */
  capabilities: string[];
  options: Record<string, string>;
}

/**
 * A mounted secret as the spec hash sees it: where it comes from and goes, and a digest of its
 * content keyed with the host key (never the content, nor a plain hash of it).
 */
export interface SecretMountSpec {
  source: string;
  target: string;
  file: string;
  /** HMAC-SHA256 of the file's content under the host key; changes when the content does. */
  digest: string;
}

export interface LoggingSpec {
  driver: string | undefined;
  options: Record<string, string>;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

/**
 * Everything that decides how one replica's container is created. The spec hash is computed over
 * this object after host inputs (env_file contents) are merged into `environment`.
 */
export interface ContainerSpec {
  image: string;
  command: string[] | undefined;
  entrypoint: string[] | undefined;
  environment: Record<string, string>;
  ports: PortSpec[];
  mounts: MountSpec[];
  networks: ServiceNetwork[];
  networkMode: string | undefined;
  labels: Record<string, string>;
  restart: string | undefined;
  healthcheck: HealthcheckSpec | undefined;
  user: string | undefined;
  workingDir: string | undefined;
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  stopGracePeriodMs: number | undefined;
  stopSignal: string | undefined;
  hostname: string | undefined;
  extraHosts: string[];
  logging: LoggingSpec | undefined;
  init: boolean | undefined;
  tmpfs: string[];
  ulimits: Record<string, Ulimit>;
  memoryBytes: number | undefined;
  nanoCpus: number | undefined;
  // The keys below are left out entirely when unused (not set to undefined), so that adding them
  // changed neither the spec hash nor the field hashes of containers made before they existed.
  /** `pid:` ("host", "service:<name>", "container:<id>"). */
  pidMode?: string;
  /** `ipc:` ("host", "private", "shareable", "none", "service:<name>", "container:<id>"). */
  ipcMode?: string;
  devices?: DeviceSpec[];
  /** Filled in on the host from `DesiredService.secrets` (resolve-host-inputs); never by the manifest. */
  secrets?: SecretMountSpec[];
  /** `expose:` as `port/protocol`, sorted; ports that `ports:` already exposes are left out. */
  expose?: string[];
  /** `shm_size:` in bytes. */
  shmSizeBytes?: number;
  /** `security_opt:` in one spelling (`key=value`, `no-new-privileges=true`), sorted. */
  securityOpt?: string[];
  sysctls?: Record<string, string>;
  /** `platform:` as `os/arch[/variant]`, lower case, architecture aliases resolved. */
  platform?: string;
  runtime?: string;
  /** `dns:`, in the order written (the resolver tries them in order). */
  dns?: string[];
  /** `dns_search:`, in the order written. */
  dnsSearch?: string[];
  /** `dns_opt:`, sorted. */
  dnsOptions?: string[];
  /** `tty: true`; left out when false. */
  tty?: true;
  /** `stdin_open: true`; left out when false. */
  stdinOpen?: true;
  /** `group_add:`, sorted. */
  groupAdd?: string[];
  /** `external_links:` as `container:alias`, sorted. */
  externalLinks?: string[];
  /** `mem_reservation:` or `deploy.resources.reservations.memory`, in bytes. */
  memoryReservationBytes?: number;
  /** `memswap_limit:` in bytes (memory plus swap); -1 is unlimited swap. */
  memorySwapBytes?: number;
  cpuShares?: number;
  /** `pids_limit:` or `deploy.resources.limits.pids`; -1 is unlimited. */
  pidsLimit?: number;
  deviceRequests?: DeviceRequestSpec[];
  /** Compose `configs` from the repository, read-only from gitdock's store. */
  configs?: ConfigMountSpec[];
}
