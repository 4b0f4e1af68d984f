import type { UnsentKey } from "../../model.js";
import type { ManifestEngine } from "../load/load-environment.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";
import { normalizeRestart } from "./normalize-host-settings.js";

type RestartPolicyInput = NonNullable<NonNullable<ServiceInput["deploy"]>["restart_policy"]>;

export interface Restart {
  /** The Engine's policy as `restart:` spells it; undefined is `no`. */
  restart: string | undefined;
  unsent: UnsentKey[];
}

/**
 * `restart:` and `deploy.restart_policy` are one setting: the Engine's restart policy. The deploy
 * form maps condition none → no, on-failure[:max_attempts], any (its default) → always. Its
 * `delay` and `window` have no Engine field: they are accepted, not sent, and logged. A Swarm
 * (`engine: swarm`) takes the policy whole (swarm/swarm-restart-policy.ts): nothing is unsent there,
 * and max_attempts counts under any condition.
 */
export function normalizeRestartPolicy(service: ServiceInput, problems: ProblemSink, engine: ManifestEngine = "containers"): Restart {
  const plain = normalizeRestart(service.restart);
  const policy = service.deploy?.restart_policy;
  if (policy === undefined) return { restart: plain, unsent: [] };
  const mapped = fromDeploy(policy, engine === "containers" ? problems : undefined);
  if (service.restart !== undefined && mapped !== plain) {
    problems.report(["deploy", "restart_policy"], `means restart: ${mapped ?? "no"}, but the service says restart: ${service.restart}; write one of them`);
  }
  return { restart: mapped, unsent: engine === "containers" ? unsentParts(policy) : [] };
}

/** `problems` undefined: a Swarm, whose restart policy honours max_attempts under every condition. */
function fromDeploy(policy: RestartPolicyInput, problems: ProblemSink | undefined): string | undefined {
  const condition = policy.condition ?? "any";
  if (condition === "on-failure") return policy.max_attempts ? `on-failure:${policy.max_attempts}` : "on-failure";
  if (policy.max_attempts !== undefined && problems) {
    problems.report(
      ["deploy", "restart_policy", "max_attempts"],
      `only applies to condition: on-failure; the Engine restarts without a limit under condition: ${condition}`,
    );
  }
  return condition === "any" ? "always" : undefined;
}

function unsentParts(policy: RestartPolicyInput): UnsentKey[] {
  const out: UnsentKey[] = [];
  if (policy.delay !== undefined) {
    out.push({
      key: "deploy.restart_policy.delay",
      reason: "the Engine's restart policy has no delay (it waits 100ms before a restart, doubling each time up to a minute)",
    });
  }
  if (policy.window !== undefined) {
    out.push({ key: "deploy.restart_policy.window", reason: "the Engine's restart policy has no window (max_attempts counts every restart)" });
  }
  return out;
}
