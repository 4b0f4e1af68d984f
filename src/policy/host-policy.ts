/**
 * What a commit may ask of this host, decided by the host's root in the agent's config
 * (`security.policy`), never by the manifest repository. The defaults are the safe ones: nothing
 * privileged, no host namespaces, no added capabilities or devices, bind mounts only under /srv and
 * /var/lib/gitdock-data, secrets only under /etc/gitdock/secrets, no explicit root user.
 */
export interface HostPolicy {
  /** `host` or `host/path/prefix`; `*` allows any registry. */
  registries: string[];
  privileged: boolean;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  /** An explicit `user: root` / `0` (with or without a group). An unset user is the image's choice, unknown offline, and allowed. */
  rootUser: boolean;
  /** Capabilities a service may add; `ALL` must be listed itself to be allowed. */
  capAdd: string[];
  /** Host device paths a service may map, exactly. */
  devices: string[];
  bindRoots: string[];
  envFileRoots: string[];
  secretRoots: string[];
  /** Host ports or ranges ("80", "8000-8999"). */
  publishedPorts: string[];
}

export const DEFAULT_POLICY: Readonly<HostPolicy> = Object.freeze({
  registries: ["*"],
  privileged: false,
  hostNetwork: false,
  hostPid: false,
  hostIpc: false,
  rootUser: false,
  capAdd: [],
  devices: [],
  bindRoots: ["/srv", "/var/lib/gitdock-data"],
  envFileRoots: ["/"],
  secretRoots: ["/etc/gitdock/secrets"],
  publishedPorts: ["1-65535"],
});
