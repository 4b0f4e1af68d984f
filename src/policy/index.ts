/** The host policy: what a commit may ask of this host, decided by its root (security.policy). */
export { checkPolicy, type PolicySources } from "./check-policy.js";
export type { HostPolicy } from "./host-policy.js";
export { guardedPaths, touchesGuarded, type GuardedPaths } from "./guarded-paths.js";
export type { EngineRequest, JsonObject, RequestOrigin, RequestViolation } from "./requests/engine-request.js";
export { judgeEngineRequests, type JudgeOptions, type StackDeclarations } from "./requests/judge-requests.js";
export { locateViolations } from "./requests/locate-violations.js";
export type { EngineObjects, SwarmObject } from "./requests/request-scope.js";
export { hostSourcesOf, type HostSource } from "./requests/nested-binds.js";
