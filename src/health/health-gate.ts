/**
 * The health stage: watch a created or replaced container until it passes or fails its gate. The
 * rules live in `gate-decision.ts`; this file only samples (inspect, then the probe when one is
 * declared), feeds `decideGate`, and handles the Engine, aborts and running several gates at once.
 */
import type Docker from "dockerode";
import { engineError, engineStatus } from "../engine/docker-client.js";
import type { Probe } from "../model.js";
import { decideGate, initialGateProgress, type GateFailure, type GateRules, type GateSample } from "./gate-decision.js";
import type { GateResult } from "./gate-result.js";
import type { ContainerWakeups } from "./container-wakeups.js";
import { runProbe } from "./probe.js";
import { ABORTED, pause, untilAborted, Wakeup } from "./wake-or-wait.js";
import { probeAddress, sampleFromInspect } from "./read-sample.js";

export interface GateTarget {
  containerId: string;
  /** Container name, as failures name it (`shop-web-1`). */
  name: string;
  probe: Probe | undefined;
  healthTimeoutMs: number;
  monitorMs: number;
}

export interface GateOptions {
  /** Pause between samples; default 250 ms. */
  pollMs?: number;
  /** Aborting returns a failure with check `aborted` promptly (e.g. a rollout interrupted by SIGTERM). */
  signal?: AbortSignal;
  /** Clock for the gate's timing; default `Date.now`. */
  now?: () => number;
  /** Called once per container when every check first holds and its monitor window starts. */
  onChecksPassed?: (container: string) => void;
  /** Sample at once when the Engine reports an event about the container (container-wakeups.ts), not only on the timer. */
  wakeups?: ContainerWakeups;
}

const DEFAULT_POLL_MS = 250;
/** Upper bound of one probe attempt; a slower answer counts as a failed attempt. */
const PROBE_ATTEMPT_MS = 2_000;

/**
 * Watches one container until its gate passes or fails. Every verdict about the container is a
 * GateResult; it throws only when the Engine cannot be asked at all for as long as the gate could
 * last (EngineUnavailableError for a connection failure), since then nothing was decided.
 */
export async function waitForHealthy(docker: Docker, target: GateTarget, opts: GateOptions = {}): Promise<GateResult> {
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const { signal } = opts;
  const start = now();
  const rules: GateRules = {
    startedAt: start,
    timeoutMs: target.healthTimeoutMs,
    monitorMs: target.monitorMs,
    needsProbe: target.probe !== undefined,
  };
  const container = docker.getContainer(target.containerId);
  const failed = (failure: GateFailure): GateResult => ({ ok: false, container: target.name, failure, durationMs: now() - start });
  const aborted = () => failed({ check: "aborted", detail: "gate aborted before a verdict" });
  let progress = initialGateProgress();
  const wake = new Wakeup();
  const unsubscribe = opts.wakeups?.on(target.containerId, () => wake.ring());
  try {
    return await gateLoop();
  } finally {
    unsubscribe?.();
  }

  async function gateLoop(): Promise<GateResult> {
    for (;;) {
      if (signal?.aborted) return aborted();
      let sample: GateSample | typeof ABORTED;
      try {
        sample = await takeSample(container, target, rules, now, signal);
      } catch (err) {
        if (engineStatus(err) === 404) return failed({ check: "running", detail: "container removed" });
        // The Engine did not answer: not a verdict about the container. Keep asking while the gate
        // could still be running; past that, give up with the (retryable) Engine error.
        if (now() - start >= rules.timeoutMs + rules.monitorMs) throw engineError(err, `watching ${target.name}`);
        if ((await pause(pollMs, signal, wake)) === ABORTED) return aborted();
        continue;
      }
      if (sample === ABORTED) return aborted();

      const wasPassed = progress.passedAt !== undefined;
      const decision = decideGate(sample, progress, rules);
      progress = decision.progress;
      if (decision.verdict === "passed") return { ok: true, container: target.name, durationMs: now() - start };
      if (decision.verdict === "failed") return failed(decision.failure ?? { check: "running", detail: "failed" });
      if (!wasPassed && progress.passedAt !== undefined) opts.onChecksPassed?.(target.name);
      if ((await pause(pollMs, signal, wake)) === ABORTED) return aborted();
    }
  }
}

/** Inspect, then (when the container is running and declares one) one probe attempt. */
async function takeSample(
  container: Docker.Container,
  target: GateTarget,
  rules: GateRules,
  now: () => number,
  signal: AbortSignal | undefined,
): Promise<GateSample | typeof ABORTED> {
  const info = await untilAborted(container.inspect(), signal);
  if (info === ABORTED) return ABORTED;
  const sample = sampleFromInspect(info, now());
  if (target.probe && sample.status === "running") {
    const address = probeAddress(info, target.probe);
    if (address) {
      const left = rules.startedAt + rules.timeoutMs - now();
      const attemptMs = Math.min(PROBE_ATTEMPT_MS, Math.max(200, left));
      const result = await untilAborted(runProbe(target.probe, address, attemptMs), signal);
      if (result === ABORTED) return ABORTED;
      sample.probe = result;
    } else {
      sample.probe = { ok: false, detail: `no address to reach port ${target.probe.port} (no network IP, not published)` };
    }
    sample.at = now();
  }
  return sample;
}
