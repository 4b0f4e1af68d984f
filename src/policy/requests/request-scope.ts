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
  /** Swarm secrets and configs gitdock creates for this project, by Engine name: the only ones its services may reference. */
  stackSecrets: ReadonlySet<string>;
  stackConfigs: ReadonlySet<string>;
  /** The agent drives a Swarm (`engine: swarm`): `overlay` is then the stack networks' driver, allowed without `network_drivers`. */
  swarm: boolean;
  /** This agent's id, when known: the `gitdock.agent` label a Swarm object carries must be it. */
  agentId: string | undefined;
}

/** Existing containers, networks and volumes by name: true when this agent manages it. */
export interface EngineObjects {
  containers: ReadonlyMap<string, boolean>;
  networks: ReadonlyMap<string, boolean>;
  volumes: ReadonlyMap<string, boolean>;
  /** Swarm services by name (under `engine: swarm`). */
  services?: ReadonlyMap<string, boolean>;
  /** Swarm secrets and configs by name, with their ids: a reference's id must be the named one's. */
  secrets?: ReadonlyMap<string, SwarmObject>;
  configs?: ReadonlyMap<string, SwarmObject>;
}

export interface SwarmObject {
  id: string;
  /** True when this agent manages it. */
  managed: boolean;
}
