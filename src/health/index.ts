/** The health stage: gate created and replaced containers before a commit counts as good. */
export { waitForHealthy, type GateTarget, type GateOptions } from "./health-gate.js";
export { waitForCompletion, type CompletionTarget } from "./completion-gate.js";
export { decideCompletion, type CompletionDecision } from "./completion-decision.js";
export { NO_WAKEUPS, openContainerWakeups, watchDeath, type ContainerWakeups } from "./container-wakeups.js";
export { formatGateFailure, gateFailedError, type GateResult, type GateFailedResult } from "./gate-result.js";
export {
  decideGate,
  initialGateProgress,
  MONITOR_PROBE_FAILURES,
  type GateCheck,
  type GateFailure,
  type HealthCheckRun,
  type GateSample,
  type GateProgress,
  type GateRules,
  type GateDecision,
  type HealthState,
  type ProbeResult,
} from "./gate-decision.js";
export { runProbe, type ProbeAddress } from "./probe.js";
export { probeAddress, sampleFromInspect } from "./read-sample.js";
