/**
 * Every default of the agent's config file, in the file's own shape (its keys, its durations as
 * written): the one place each is written. The schema quotes them in its descriptions (and so the
 * JSON Schema for editors), the sections fill them in, the CLI's help names them, and the manifest
 * stage uses the variables directory and the store when a caller names no host (`gitdock validate`).
 *
 * It imports nothing, so it sits in the bottom layer (ARCHITECTURE.md, Layers) although it lives
 * with the rest of the config: the manifest stage, below config/, may read it.
 *
 * Left out, because they are not constants: `host_id` (the machine's host name), `docker_host`
 * (DOCKER_HOST, else the local socket), `registry_auth` ($DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json), and keys with no default (`repo`, credentials, `report.notify`).
 */
export const CONFIG_DEFAULTS = {
  branch: "main",
  /** The repository's root. */
  path: "",
  state_dir: "/var/lib/gitdock",
  concurrency: 8,
  engine: "containers",
  agent: {
    interval: "60s",
    jitter: 0.1,
    listen: "127.0.0.1:9380",
    allowed_hosts: [],
    webhook: { max_body_bytes: 1024 * 1024 },
    sync_windows: [],
    shutdown_timeout: "120s",
    backoff: { initial: "2s", max: "5m" },
    repair_budget: { max: 5, window: "10m" },
    docker_events: true,
    watch_repo: true,
  },
  security: {
    verify: { mode: "off", allow_rewind: false },
    /**
     * The safe policy: nothing privileged, no host namespaces and no other container's, no added
     * capabilities or devices, bind mounts only under /srv and /var/lib/gitdock-data, secrets only
     * under /etc/gitdock/secrets, env files only under /etc/gitdock/env, no root user, local volumes
     * without driver options, bridge networks with the default IPAM in private address space, no
     * device requests, no links to containers outside the stack, and no network or volume that
     * gitdock does not own.
     */
    policy: {
      registries: ["*"],
      privileged: false,
      host_network: false,
      host_pid: false,
      host_ipc: false,
      root_user: false,
      cap_add: [],
      devices: [],
      bind_roots: ["/srv", "/var/lib/gitdock-data"],
      env_file_roots: ["/etc/gitdock/env"],
      secret_roots: ["/etc/gitdock/secrets"],
      published_ports: ["1-65535"],
      volume_drivers: ["local"],
      volume_types: [],
      network_drivers: ["bridge"],
      external_networks: [],
      external_volumes: [],
      shared_namespaces: [],
      security_opt: ["no-new-privileges"],
      runtimes: ["runc"],
      // The sysctls Docker itself accepts for a container with its own namespaces.
      sysctls: ["net.*", "kernel.shm*", "kernel.msg*", "kernel.sem", "fs.mqueue.*"],
      // json-file, local and journald keep the output on this host; none drops it. Network drivers
      // (syslog, gelf, fluentd, ...) make dockerd itself connect to an address the commit chooses.
      log_drivers: ["json-file", "local", "journald", "none"],
      device_requests: false,
      external_links: [],
      ipam_drivers: [],
      // Private address space only: a bridge's subnet becomes a route on the host, and a public one
      // would send the host's own traffic for it (a registry, a DNS server) into the container network.
      network_subnets: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"],
      image_signatures: [],
      secrets: { require_encrypted: false, recipients: [] },
    },
  },
  report: {
    git_notes: false,
    notes_ref: "refs/notes/gitdock",
    notify: { max_attempts: 5 },
    // Each entry of report.notifications: what it gets when it does not say (the list itself is empty).
    notifications: {
      events: ["healthy", "rolled-back", "rejected", "paused", "withdrawn", "wave-advanced", "commit-held"],
      max_attempts: 5,
    },
  },
  files: { data_root: "/srv/gitdock" },
  manifest: { variables_dir: "/etc/gitdock/env", process_environment: false, profiles: [] },
  // A tmpfs: decrypted files never reach a disk (RuntimeDirectory=gitdock in the systemd unit).
  secrets: { runtime_dir: "/run/gitdock/secrets" },
  drift: { in_place: "report", scan_interval: "5m" },
} as const;

/** A default as the config file and the help texts write it: `60s`, `127.0.0.1:9380`, `["local"]`, `none`. */
export function shownDefault(value: string | number | boolean | readonly unknown[]): string {
  if (Array.isArray(value)) return value.length === 0 ? "none" : `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
  return String(value);
}
