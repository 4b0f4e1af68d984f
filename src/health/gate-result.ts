/**
 * What a gate returns, and how it is told: one line for logs, the failed-commit reason and git
 * notes. That line is the failure's `detail` (gitdock's words); its `excerpt` (what the container
 * said) is never part of it.
 */
import { HealthGateFailedError } from "../errors.js";
import type { GateFailure } from "./gate-decision.js";
import { oneLine } from "./short-text.js";

export type GateResult = { ok: true; container: string; durationMs: number } | { ok: false; container: string; failure: GateFailure; durationMs: number };

export type GateFailedResult = Extract<GateResult, { ok: false }>;

const MAX_LINE = 300;

/** `shop-web-1: probe: http 500 on /healthz (expected 200)`; a passed gate reads `shop-web-1: healthy`. */
export function formatGateFailure(result: GateResult): string {
  if (result.ok) return `${result.container}: healthy`;
  return oneLine(`${result.container}: ${result.failure.check}: ${result.failure.detail}`, MAX_LINE);
}

/**
 * The typed error (handling "rollback") for a failed gate, for callers that throw. The excerpt rides
 * on the error's own `excerpt` field, outside its message, hint and data.
 */
export function gateFailedError(result: GateFailedResult, opts: { data?: Record<string, unknown>; hint?: string } = {}): HealthGateFailedError {
  const excerpt = result.failure.excerpt;
  return new HealthGateFailedError(`health gate failed: ${formatGateFailure(result)}`, {
    data: {
      container: result.container,
      check: result.failure.check,
      detail: result.failure.detail,
      ...(result.failure.exitCode === undefined ? {} : { exitCode: result.failure.exitCode }),
      ...opts.data,
    },
    hint:
      opts.hint ??
      `${excerpt ? "What the container printed is in gitdock's local log on this host, redacted. " : ""}Fix the release in Git and push a new commit, or run \`gitdock retry\` to try this commit again.`,
    ...(excerpt ? { excerpt } : {}),
  });
}
