import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import type PinoPretty from "pino-pretty";

export type { Logger };

/**
 * Paths whose values never reach a log line: credentials, environment values and webhook bodies.
 * Callers also avoid passing them; redaction is the second line of defence.
 */
export const REDACT_PATHS = [
  "password",
  "token",
  "secret",
  "auth",
  "authconfig",
  "env",
  "environment",
  "body",
  "*.password",
  "*.token",
  "*.secret",
  "*.auth",
  "*.authconfig",
  "*.env",
  "*.environment",
  "*.body",
  "*.Env",
  "config.create.Env",
  // Secrets (their keyed digests too: nothing about a secret's content belongs in a log line),
  // HTTP credentials, and the same keys one level deeper (pino's `*` matches one level only).
  "secrets",
  "*.secrets",
  "digest",
  "*.digest",
  "authorization",
  "*.authorization",
  "*.*.authorization",
  "*.*.password",
  "*.*.token",
  "*.*.secret",
  "*.*.environment",
  "*.*.Env",
  "*.*.secrets",
  "*.*.body",
];

/** pino JSON on stderr; readable (pino-pretty, synchronously) when stderr is a terminal. */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  const base = { level: opts.level ?? process.env.GITDOCK_LOG_LEVEL ?? "info", redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
  if (usePretty) return pino(base, loadPretty()({ destination: 2, sync: true, colorize: true, translateTime: "SYS:HH:MM:ss" }));
  return pino(base, pino.destination({ fd: 2, sync: true }));
}

/** pino-pretty only when a person reads the terminal: a service under systemd never loads it (~10 MB). */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
}
