/**
 * The gate of a container that runs to completion (a release job, a one-shot others wait for with
 * `service_completed_successfully`), as a pure function over one observation: it passes when the
 * container exited 0, fails when it exited otherwise, was restarted (a restart policy ran it again
 * after a failure) or removed, and times out when it still runs after `timeoutMs`. The detail is in
 * gitdock's words only (the exit code); the Engine's error about it travels as the excerpt.
 */
import type { GateFailure, GateSample } from "./gate-decision.js";
import { formatMs } from "./short-text.js";

export type CompletionDecision = { verdict: "pending" } | { verdict: "passed"; exitCode: 0 } | { verdict: "failed"; failure: GateFailure };

export function decideCompletion(sample: GateSample, rules: { startedAt: number; timeoutMs: number }): CompletionDecision {
  const { status } = sample;
  if (status === "exited" || status === "dead") {
    if (sample.exitCode === 0 && status === "exited") return { verdict: "passed", exitCode: 0 };
    const oom = sample.oomKilled ? " (out of memory)" : "";
    return failed({ check: "completion", detail: `exited with code ${sample.exitCode}${oom}`, exitCode: sample.exitCode }, sample);
  }
  if (status === "restarting")
    return failed({ check: "completion", detail: `exited with code ${sample.exitCode} and is being restarted`, exitCode: sample.exitCode }, sample);
  if (status === "removing" || status === "removed") return failed({ check: "completion", detail: "container removed before it finished" }, sample);
  if (sample.at - rules.startedAt >= rules.timeoutMs)
    return { verdict: "failed", failure: { check: "timeout", detail: `still running after ${formatMs(rules.timeoutMs)}` } };
  return { verdict: "pending" };
}

function failed(failure: GateFailure, sample: GateSample): CompletionDecision {
  return { verdict: "failed", failure: sample.error ? { ...failure, excerpt: sample.error } : failure };
}
