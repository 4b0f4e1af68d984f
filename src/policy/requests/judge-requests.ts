import type { GuardedPaths } from "../guarded-paths.js";
import type { HostPolicy } from "../host-policy.js";
import { CONTAINER_CONFIG_FIELDS, ENDPOINT_FIELDS, networkName } from "./container-fields.js";
import type { EngineRequest, RequestViolation } from "./engine-request.js";
import { nestedBindSources } from "./nested-binds.js";
import type { EngineObjects, RequestScope } from "./request-scope.js";
import { networkCreateFields, volumeCreateFields } from "./resource-fields.js";
import { serviceSpecFields } from "./service-fields.js";
import { CONFIG_SPEC_FIELDS, SECRET_SPEC_FIELDS } from "./swarm-secrets.js";
import { walkFields, type Finding } from "./walk-fields.js";

/** What a project of the desired state declares, for judging its requests. */
export interface StackDeclarations {
  containers: ReadonlySet<string>;
  networks: ReadonlyMap<string, { external: boolean }>;
  volumes: ReadonlyMap<string, { external: boolean }>;
  /** Decrypted files gitdock makes for the project's services (secrets runtime directory). */
  decryptedFiles?: ReadonlySet<string>;
  /**
   * Under Swarm: the Engine names of the secrets and configs gitdock creates for the project
   * (`<project>_...`, content hash included), whether or not this pass creates them. A service may
   * reference these and no other; a secret or config create must be one of them.
   */
  swarmSecrets?: ReadonlySet<string>;
  swarmConfigs?: ReadonlySet<string>;
}

export interface JudgeOptions {
  policy: HostPolicy;
  guarded: GuardedPaths;
  /** Directories containers may mount read-only only; by default the guarded paths' read-only roots (gitdock's store). */
  readOnlyRoots?: readonly string[];
  /** By project name. */
  stacks: ReadonlyMap<string, StackDeclarations>;
  /** What exists on the Engine and who owns it; undefined in `gitdock validate`. */
  engine?: EngineObjects;
  /** The agent drives a Swarm (`engine: swarm`): overlay networks are the stacks' own, allowed without `network_drivers`. */
  swarm?: boolean;
  /** This agent's id: the `gitdock.agent` label of a Swarm service, secret or config must be it. */
  agentId?: string;
}

/**
 * The host policy as an allow-list over the Engine requests apply will send: every field is known
 * and judged, or must be at the Engine's default. Pure. Returns every violation; an empty list means
 * every request may be sent.
 */
export function judgeEngineRequests(requests: readonly EngineRequest[], opts: JudgeOptions): RequestViolation[] {
  const out: RequestViolation[] = [];
  for (const request of requests) {
    const scope = scopeFor(request.origin.project, opts);
    for (const f of judgeOne(request, scope)) out.push({ origin: request.origin, field: f.field, message: f.message });
  }
  out.push(...nestedBindSources(requests));
  return out;
}

function judgeOne(request: EngineRequest, scope: RequestScope): Finding[] {
  switch (request.kind) {
    case "container-create":
      return walkFields(request.body, CONTAINER_CONFIG_FIELDS, "", scope);
    case "network-connect":
      return [
        ...networkName(request.network, `connect(${request.network})`, scope),
        ...walkFields(request.body, { Container: "free", EndpointConfig: (v, f, s) => walkFields(v, ENDPOINT_FIELDS, f, s) }, "", scope),
      ];
    case "volume-create":
      return walkFields(request.body, volumeCreateFields(request.body), "", scope);
    case "network-create":
      return walkFields(request.body, networkCreateFields(request.body), "", scope);
    case "service-create":
      return walkFields(request.body, serviceSpecFields(request.body), "", scope);
    case "secret-create":
      return walkFields(request.body, SECRET_SPEC_FIELDS, "", scope);
    case "config-create":
      return walkFields(request.body, CONFIG_SPEC_FIELDS, "", scope);
  }
}

const NONE: ReadonlySet<string> = new Set();
const NO_STACK: StackDeclarations = { containers: new Set(), networks: new Map(), volumes: new Map() };

function scopeFor(project: string, opts: JudgeOptions): RequestScope {
  const stack = opts.stacks.get(project) ?? NO_STACK;
  return {
    policy: opts.policy,
    guarded: opts.guarded,
    readOnlyRoots: opts.readOnlyRoots ?? opts.guarded.readOnlyRoots,
    project,
    stackContainers: stack.containers,
    stackNetworks: stack.networks,
    stackVolumes: stack.volumes,
    ...(stack.decryptedFiles ? { decryptedFiles: stack.decryptedFiles } : {}),
    engine: opts.engine,
    stackSecrets: stack.swarmSecrets ?? NONE,
    stackConfigs: stack.swarmConfigs ?? NONE,
    swarm: opts.swarm ?? false,
    agentId: opts.agentId,
  };
}
