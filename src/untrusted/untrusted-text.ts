/**
 * Text a container produced — a healthcheck's output, the Engine's `State.Error` or start error
 * for it — kept apart from everything gitdock says in its own words.
 *
 * Whoever can push to the branch controls what a container prints, and the container sees the
 * host's env_file values and secrets: its output is untrusted. It never goes into a reason, the
 * journal, state.json, git notes, deployment markers or metrics. Only gitdock's local log and
 * `gitdock status` (from the running agent's memory) show it, as `excerpt()`: one short line with
 * the service's environment values and secret contents redacted.
 *
 * The raw text is a private field, so it cannot be reached by accident: string conversion,
 * `JSON.stringify`, pino and `util.inspect` all see a placeholder, never the text.
 */
import { inspect } from "node:util";
import { redactCredentialShapes, type Redactor } from "./redact-values.js";

/** What an UntrustedText turns into anywhere but `excerpt()`. */
export const WITHHELD = "[container output withheld]";

/** Longest excerpt shown: one log line's worth. */
export const EXCERPT_MAX = 200;

/**
 * How much of the raw text is kept. Docker itself keeps 4 KiB of a healthcheck's output; an Engine
 * error is shorter. A value cut off here is still redacted (see redact-values.ts).
 */
const RAW_MAX = 16 * 1024;

// C0 and C1 control characters (escape sequences would drive the terminal a log is read on), and
// the invisible format characters that reorder or hide text (bidirectional overrides, zero widths).
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\s]+/g;

export class UntrustedText {
  readonly #raw: string;

  constructor(raw: string) {
    this.#raw = raw.length > RAW_MAX ? raw.slice(0, RAW_MAX) : raw;
  }

  /** Nothing but whitespace or control characters: nothing worth showing. */
  get blank(): boolean {
    return this.#raw.replace(CONTROL_OR_SPACE, "") === "";
  }

  /**
   * For the local log and `gitdock status` only: the values the redactor knows, and credential
   * shapes (`token=...`, `https://user:pw@`), blanked out before anything is cut (so no value is
   * split past recognition); control characters and runs of whitespace turned into one space; at
   * most `max` characters.
   */
  excerpt(redactor: Redactor, max = EXCERPT_MAX): string {
    const flat = redactCredentialShapes(redactor.redact(this.#raw)).replace(CONTROL_OR_SPACE, " ").trim();
    return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
  }

  toString(): string {
    return WITHHELD;
  }

  toJSON(): string {
    return WITHHELD;
  }

  [inspect.custom](): string {
    return WITHHELD;
  }
}

/** UntrustedText for a value when it holds anything to show, else undefined. */
export function untrusted(raw: string | undefined | null): UntrustedText | undefined {
  if (raw === undefined || raw === null) return undefined;
  const text = new UntrustedText(raw);
  return text.blank ? undefined : text;
}
