/** Small builders for the Swarm engine's pure parts (src/swarm/, src/plan/plan-services.ts): no Docker anywhere. */
import type { DesiredService, DesiredStack, SwarmDeploy } from "../../../src/model.js";
import type { ResolvedService } from "../../../src/plan/types.js";
import type { ServiceIdentity } from "../../../src/swarm/service-spec.js";
import type { SwarmObjectNames } from "../../../src/swarm/swarm-objects.js";
import { resolve } from "./fake-state.js";

export const AGENT = "agent-h1";

/** Swarm's defaults as the manifest fills them in under `engine: swarm` (manifest-swarm.test.ts). */
export const SWARM_DEFAULTS: SwarmDeploy = {
  mode: "replicated",
  constraints: [],
  spread: [],
  endpointMode: "vip",
  labels: {},
  restartPolicy: { condition: "any" },
};

/** `svc` as the manifest reads it under `engine: swarm`, with `swarm` merged into Swarm's defaults. */
export function onSwarm(svc: DesiredService, swarm: Partial<SwarmDeploy> = {}): DesiredService {
  return { ...svc, swarm: { ...SWARM_DEFAULTS, ...swarm } };
}

/** The one service `name` of `stack` resolved (env files merged, hashes made). */
export function resolvedOne(st: DesiredStack, name: string, commit = "c1"): ResolvedService {
  const found = resolve(commit, [st]).stacks[0]?.services.find((s) => s.service.name === name);
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

export function identity(st: DesiredStack, name: string, objects: Partial<SwarmObjectNames> = {}, commit = "c0ffee"): ServiceIdentity {
  return {
    stack: st,
    service: resolvedOne(st, name, commit),
    commit,
    agentId: AGENT,
    objects: { secrets: objects.secrets ?? new Map(), configs: objects.configs ?? new Map() },
  };
}
