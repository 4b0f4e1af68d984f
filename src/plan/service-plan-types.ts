import type { NetworkSpec } from "../model.js";

/**
 * The planner's view of a Swarm (engine: swarm): one service per Compose service, its replicas
 * Swarm's business. Plain data, no Docker types, like types.ts.
 */

/** A desired Swarm service: the body gitdock would send and its hash (src/swarm/desired-services.ts). */
export interface DesiredSwarmService {
  project: string;
  service: string;
  /** `<project>_<service>`. */
  name: string;
  specHash: string;
  /** The ServiceSpec as sent, without the labels that name the commit (which alone never updates a service). */
  sent: Record<string, unknown>;
  /** Services of the same stack it depends on (`depends_on`). */
  dependsOn: string[];
}

/** A Swarm service as observed (src/swarm/observe-swarm.ts). */
export interface ObservedSwarmService {
  id: string;
  name: string;
  /** Carries gitdock.managed=true and this agent's id. */
  managed: boolean;
  project: string | undefined;
  service: string | undefined;
  commit: string | undefined;
  specHash: string | undefined;
  /** Its current ServiceSpec, as the Engine reports it. */
  spec: Record<string, unknown>;
}

export interface SwarmSnapshot {
  services: ObservedSwarmService[];
  networks: { name: string; managed: boolean }[];
}

export type ServiceActionKind = "create" | "update" | "remove" | "unchanged" | "conflict";

export interface ServiceAction {
  kind: ServiceActionKind;
  project: string;
  service: string;
  /** `<project>_<service>`. */
  name: string;
  /** The existing service this action acts on. */
  serviceId: string | undefined;
  reasons: string[];
}

export interface ServicePlan {
  commit: string;
  actions: ServiceAction[];
  networksToCreate: { project: string; network: NetworkSpec }[];
  /** Reasons the plan cannot be applied at all (a name held by something gitdock does not own). */
  blockers: string[];
}
