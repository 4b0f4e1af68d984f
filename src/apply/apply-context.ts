import type Docker from "dockerode";
import type { GateResult } from "../health/index.js";
import type { Logger } from "../log.js";
import type { ResolvedService, ResolvedState } from "../plan/types.js";
import type { FailureOutputListener } from "../untrusted/index.js";
import type { BindRoots } from "./host-bind-sources.js";
import type { RegistryAuths } from "./registry-auth.js";
import type { RolloutLog } from "./rollout-log.js";

/** What a rollout is given (apply-plan.ts) and what it tells: shared with the release jobs it runs (run-jobs.ts). */

/** One thing apply did, for the journal and the log. Never carries environment values. */
export interface ApplyEvent {
  commit: string;
  stack: string;
  service?: string;
  container?: string;
  action: string;
  reason?: string;
  /** `started`: a release job's container started (its run is journaled before it can finish). */
  outcome: "ok" | "failed" | "started";
  error?: string;
  durationMs?: number;
  /** gitdock's own facts only (a job's phase and exit code): never container output or values. */
  data?: Record<string, unknown>;
}

export interface GateTarget {
  containerId: string;
  name: string;
  service: ResolvedService;
}

export interface ApplyContext {
  docker: Docker;
  agentId: string;
  desired: ResolvedState;
  auths: RegistryAuths;
  log: Logger;
  record: (e: ApplyEvent) => Promise<void>;
  /** Engine calls in flight at once (pulls, creates). */
  concurrency: number;
  /** The health gate for one new container; aborted when the rollout stops early. */
  gate: (target: GateTarget, signal: AbortSignal) => Promise<GateResult>;
  /** Stops the rollout between steps (SIGTERM): what is in flight finishes, nothing new starts. */
  signal?: AbortSignal;
  /** Told which images this apply pulled, before any container changes (for image cleanup). */
  onPulled?: (images: string[]) => Promise<void>;
  /** Where bind sources may lie (the host policy's roots); each is checked on the host right before its create. */
  bindRoots: BindRoots;
  /** Told of a container's failure that came with output, redacted (the agent shows the last one in status). */
  onFailureOutput?: FailureOutputListener;
  /** Where each release job's last output is kept, redacted (job-output.ts): under the state directory. */
  jobOutputDir: string;
}

export interface ApplyResult {
  pulled: string[];
  changed: number;
  /** What was changed, in order; the caller undoes it on failure or finalizes it on success. */
  log: RolloutLog;
}
