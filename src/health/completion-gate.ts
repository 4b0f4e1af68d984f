/**
 * Watches a container that runs to completion until it exits (completion-decision.ts): sampled
 * every `pollMs`, and at once when the Engine reports an event about it (its `die`). Like the health
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
  let wake: (() => void) | undefined;
  const unsubscribe = opts.wakeups?.on(target.containerId, () => wake?.());
  try {
    for (;;) {
      if (opts.signal?.aborted) return failed({ check: "aborted", detail: "stopped before it finished" });
      try {
        const decision = decideCompletion(sampleFromInspect(await container.inspect(), Date.now()), { startedAt: start, timeoutMs: target.timeoutMs });
        if (decision.verdict === "passed") return { ok: true, container: target.name, durationMs: Date.now() - start };
        if (decision.verdict === "failed") return failed(decision.failure);
      } catch (err) {
        if (engineStatus(err) === 404) return failed({ check: "completion", detail: "container removed before it finished" });
        if (Date.now() - start >= target.timeoutMs) throw engineError(err, `watching ${target.name}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, opts.pollMs ?? DEFAULT_POLL_MS);
        opts.signal?.addEventListener("abort", done, { once: true });
        wake = done;
        function done() {
          clearTimeout(timer);
          opts.signal?.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        }
      });
    }
  } finally {
    unsubscribe?.();
  }
}
