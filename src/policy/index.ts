/** The host policy: what a commit may ask of this host, decided by its root (security.policy). */
export { checkPolicy, type PolicySources } from "./check-policy.js";
export { DEFAULT_POLICY, type HostPolicy } from "./host-policy.js";
export { readPolicyFile } from "./read-policy-file.js";
