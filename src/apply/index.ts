export { applyPlan, type ApplyContext, type ApplyEvent, type ApplyResult } from "./apply-plan.js";
export { loadRegistryAuths, registryHost, type RegistryAuths } from "./registry-auth.js";
export { containerConfig } from "./container-config.js";
