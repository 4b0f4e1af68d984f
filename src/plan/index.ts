export { makePlan, driftReasons, hasChanges } from "./plan.js";
export { hostKeyId, legacySpecHashes, specHashes, HASH_SCHEME, encodeFieldHashes, decodeFieldHashes, canonicalJson, type SpecHashes } from "./spec-hash.js";
export { formatPlanText, planToJson, summarizePlan } from "./format-plan.js";
export { serviceDependencies } from "./service-dependencies.js";
export type * from "./types.js";
export { planServices, serviceDrift, hasServiceChanges } from "./plan-services.js";
export { formatServicePlanText, servicePlanToJson, summarizeServicePlan } from "./format-service-plan.js";
export { sentDifference } from "./sent-difference.js";
export type * from "./service-plan-types.js";
