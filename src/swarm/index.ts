export { desiredSwarm, type DesiredSwarm, type SwarmServiceToSend } from "./desired-services.js";
export { observeSwarm } from "./observe-swarm.js";
export { applySwarmPlan, overlayNetworkBody, type SwarmStep, type SwarmApplyResult } from "./apply-swarm.js";
export { undoSwarmRollout } from "./undo-swarm.js";
export { finishSwarmRollout } from "./finish-swarm.js";
export { waitForService, judgeTasks } from "./swarm-gate.js";
export { serviceSpec } from "./service-spec.js";
export { swarmServiceName } from "./stack-names.js";
export { checkSwarmRequests, judgeSwarmRequests, swarmRequests } from "./swarm-requests.js";
