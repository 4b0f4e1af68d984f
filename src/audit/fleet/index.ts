/**
 * The fleet view, from Git alone: `gitdock fleet status` (what each host runs, each recent
 * commit's waves) and `gitdock fleet report --html` (one self-contained page for auditors).
 */
export { openFleetSource, DEFAULT_FLEET_DEPTH, type FleetSource } from "./open-fleet-source.js";
export { buildFleetStatus, type FleetStatusInput } from "./build-fleet-status.js";
export { formatFleetStatus } from "./format-fleet-status.js";
export type { FleetStatus } from "./fleet-status-types.js";
export { buildFleetReport, type FleetReport } from "./build-fleet-report.js";
export { renderFleetReport } from "./render-fleet-report.js";
