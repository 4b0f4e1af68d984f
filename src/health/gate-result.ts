/** What a gate returns, and how it is told: one line for logs, the failed-commit reason and git notes. */
import { HealthGateFailedError } from "../errors.js";
import type { GateFailure } from "./gate-decision.js";
import { oneLine } from "./short-text.js";

export type GateResult =
  | { ok: true; container: string; durationMs: number }
  | { ok: false; container: string; failure: GateFailure; durationMs: number };

export type GateFailedResult = Extract<GateResult, { ok: false }>;

const MAX_LINE = 300;

/** `shop-web-1: probe: http 500 on /healthz (expected 200)`; a passed gate reads `shop-web-1: healthy`. */
export function formatGateFailure(result: GateResult): string {
  if (result.ok) return `${result.container}: healthy`;
  return oneLine(`${result.container}: ${result.failure.check}: ${result.failure.detail}`, MAX_LINE);
}

/** The typed error (handling "rollback") for a failed gate, for callers that throw. */
export function gateFailedError(result: GateFailedResult): HealthGateFailedError {
  return new HealthGateFailedError(`health gate failed: ${formatGateFailure(result)}`, {
    data: { container: result.container, check: result.failure.check, detail: result.failure.detail },
    hint: "Fix the image or the manifest in Git and push a new commit, or run `gitdock retry` to try this one again.",
  });
}
