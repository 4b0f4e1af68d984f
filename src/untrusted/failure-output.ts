/**
 * The last container failure that came with output, as gitdock's local log and the running agent's
 * `gitdock status` show it: gitdock's words for what failed, and the redacted excerpt of what the
 * container said. Lives in the agent's memory only: never in state.json, the journal, git notes,
 * deployment markers or metrics, so it is gone when the agent restarts.
 */
export interface FailureOutput {
  at: string;
  commit: string;
  container: string;
  /** gitdock's words: the failure's first line, e.g. `health gate failed: shop-web-1: healthcheck: unhealthy (...)`. */
  failure: string;
  /** One line, at most EXCERPT_MAX characters, the service's environment values and secrets redacted. */
  excerpt: string;
}

/** Told of each such failure (the agent keeps the last one for `gitdock status`). */
export type FailureOutputListener = (f: FailureOutput) => void;
