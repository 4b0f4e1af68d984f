/**
 * What a commit may ask of this host, decided by the host's root in the agent's config
 * (`security.policy`), never by the manifest repository. The defaults are the safe ones
 * (src/config/defaults.ts; `DEFAULT_POLICY` in src/config/security-section.ts is this form of them).
 *
 * The policy is an allow-list over the Engine requests gitdock sends (src/policy/requests/): a
 * request field that no key here speaks for must be at the Engine's default.
 */
export interface HostPolicy {
  /** `host` or `host/path/prefix`; `*` allows any registry. */
  registries: string[];
  privileged: boolean;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  /** A user that is uid 0 in any spelling (`root`, `0`, `+0`, `-0`, `000`, an empty user part). An unset user is the image's choice, unknown offline, and allowed. */
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
  /** Volume drivers a commit may create volumes with. */
  volumeDrivers: string[];
  /** `type:` values of the local driver besides `none` + `o: bind` (judged as a bind mount) and `tmpfs`: e.g. `nfs`, `cifs`. */
  volumeTypes: string[];
  /** Network drivers a commit may create networks with. */
  networkDrivers: string[];
  /** Existing networks gitdock does not own that a stack may join, by name, when it declares them `external`. Never `host`, `none` or `bridge`. */
  externalNetworks: string[];
  /** Existing volumes gitdock does not own that a stack may mount, by name, when it declares them `external`. */
  externalVolumes: string[];
  /** Containers outside the stack whose network, PID or IPC namespace a service may join (`container:<name>`), by name. */
  sharedNamespaces: string[];
  /** `security_opt` entries allowed, exactly (`no-new-privileges` in any spelling of true is one entry). */
  securityOpt: string[];
  /** Container runtimes a service may ask for (`runtime:`). */
  runtimes: string[];
  /** Sysctls a service may set: names, or prefixes ending in `*`. Network ones never with the host's network, IPC ones never with the host's IPC namespace. */
  sysctls: string[];
  /** Logging drivers a service may use. */
  logDrivers: string[];
  /** Device requests (`deploy.resources.reservations.devices`: GPUs and other devices a driver hands out). */
  deviceRequests: boolean;
  /** Containers outside a stack that services may link to (`external_links`), by name. */
  externalLinks: string[];
  /** IPAM drivers a network may use besides the Engine's `default`. */
  ipamDrivers: string[];
  /** CIDRs a network's `ipam` subnets, ranges, gateways and auxiliary addresses must lie in. */
  networkSubnets: string[];
  /**
   * Which images must be signed, and by whom, per scope (Podman's containers-policy.json): the most
   * specific scope that matches an image decides; an image no scope matches needs no signature.
   * Judged before anything is pulled (src/image-signatures/).
   */
  imageSignatures: ImageSignatureRule[];
  /** Encrypted secrets of the repository (src/secrets/, policy/secrets-policy.ts). */
  secrets: SecretsPolicy;
}

/** `secrets:` of the policy: what encrypted files of the repository must be. */
export interface SecretsPolicy {
  /** Every Compose secret must be an encrypted file of the repository (none from the host's disk). */
  requireEncrypted: boolean;
  /** When not empty: every SOPS file may be encrypted only for these (age recipients, OpenPGP fingerprints), and age files are refused (they do not name theirs). */
  recipients: string[];
}

/**
 * One scope of `image_signatures`: the images under `scope` (`*`, a registry, or a registry with a
 * path prefix, matched as `registries` entries are) must carry a signature by one of `keys` or a
 * keyless signature that `keyless` accepts, unless `acceptUnsigned` exempts them.
 */
export interface ImageSignatureRule {
  scope: string;
  /** PEM public keys (ECDSA P-256, Ed25519) as written, or absolute paths of files holding one. */
  keys: string[];
  keyless: KeylessRequirement | undefined;
  /** Podman's `insecureAcceptAnything`: no signature needed under this scope (to carve out a sub-scope). */
  acceptUnsigned: boolean;
}

/** Fulcio-certificate signatures, verified offline against a pinned Sigstore trusted root. */
export interface KeylessRequirement {
  /** Absolute path of a Sigstore `trusted_root.json`. */
  trustedRoot: string;
  /** The certificate must name one of these (subject alternative name and OIDC issuer). */
  identities: KeylessIdentity[];
}

export interface KeylessIdentity {
  /** The certificate's SAN exactly (an e-mail address or a workflow URI) ... */
  subject?: string;
  /** ... or matching this regular expression (anchored at both ends). */
  subjectPattern?: string;
  /** The OIDC issuer (Fulcio's issuer extension), exactly. */
  issuer: string;
}
