export { applyPlan, finalizeRollout, RolloutFailedError, type ApplyContext, type ApplyEvent, type ApplyResult, type GateTarget } from "./apply-plan.js";
export { loadRegistryAuths, registryHost, type RegistryAuths } from "./registry-auth.js";
export { containerConfig } from "./container-config.js";
export { RolloutLog, type RolloutStep } from "./rollout-log.js";
export { restore, removeIfPresent } from "./retain.js";
