import type { GuardedPaths } from "../guarded-paths.js";
import type { HostPolicy } from "../host-policy.js";

/** What the judge knows besides the request: the policy, the agent's own files, the stack and the Engine. */
export interface RequestScope {
  policy: HostPolicy;
  guarded: GuardedPaths;
  /** Directories gitdock fills itself that containers may mount read-only only. */
  readOnlyRoots: readonly string[];
  project: string;
  /** Names of the containers the desired state creates for this project: `container:<name>` of one is `service:<name>`. */
  stackContainers: ReadonlySet<string>;
  /** The stack's networks by Engine name, and whether it declares each `external`. */
  stackNetworks: ReadonlyMap<string, { external: boolean }>;
  stackVolumes: ReadonlyMap<string, { external: boolean }>;
  /** The decrypted files (secrets runtime directory) this project's services mount: read-only, exactly these. */
  decryptedFiles?: ReadonlySet<string>;
  /** Who owns what already exists on the Engine; undefined where no Engine is asked (`gitdock validate`). */
  engine: EngineObjects | undefined;
}

/** Existing containers, networks and volumes by name: true when this agent manages it. */
export interface EngineObjects {
  containers: ReadonlyMap<string, boolean>;
  networks: ReadonlyMap<string, boolean>;
  volumes: ReadonlyMap<string, boolean>;
}
