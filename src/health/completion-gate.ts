/**
 * Watches a container that runs to completion until it exits (completion-decision.ts): sampled
 * every `pollMs`, and at once when the Engine reports an event about it (its `die`; wake-or-wait.ts). Like the health
 * gate, every verdict about the container is a GateResult; it throws only when the Engine cannot be
 * asked at all for as long as the gate could last.
 */
import type Docker from "dockerode";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { decideCompletion } from "./completion-decision.js";
import type { ContainerWakeups } from "./container-wakeups.js";
import type { GateFailure } from "./gate-decision.js";
import type { GateResult } from "./gate-result.js";
import { sampleFromInspect } from "./read-sample.js";
import { ABORTED, pause, Wakeup } from "./wake-or-wait.js";

export interface CompletionTarget {
  containerId: string;
  name: string;
  timeoutMs: number;
}

const DEFAULT_POLL_MS = 500;

export async function waitForCompletion(
  docker: Docker,
  target: CompletionTarget,
  opts: { signal?: AbortSignal; wakeups?: ContainerWakeups; pollMs?: number } = {},
): Promise<GateResult> {
  const start = Date.now();
  const container = docker.getContainer(target.containerId);
  const failed = (failure: GateFailure): GateResult => ({ ok: false, container: target.name, failure, durationMs: Date.now() - start });
  const aborted = () => failed({ check: "aborted", detail: "stopped before it finished" });
  const wake = new Wakeup();
  const unsubscribe = opts.wakeups?.on(target.containerId, () => wake.ring());
  try {
    for (;;) {
      if (opts.signal?.aborted) return aborted();
      try {
        const decision = decideCompletion(sampleFromInspect(await container.inspect(), Date.now()), { startedAt: start, timeoutMs: target.timeoutMs });
        if (decision.verdict === "passed") return { ok: true, container: target.name, durationMs: Date.now() - start };
        if (decision.verdict === "failed") return failed(decision.failure);
      } catch (err) {
        if (engineStatus(err) === 404) return failed({ check: "completion", detail: "container removed before it finished" });
        if (Date.now() - start >= target.timeoutMs) throw engineError(err, `watching ${target.name}`);
      }
      // A `die` that came while inspecting is kept: the next wait ends at once.
      if ((await pause(opts.pollMs ?? DEFAULT_POLL_MS, opts.signal, wake)) === ABORTED) return aborted();
    }
  } finally {
    unsubscribe?.();
  }
}
