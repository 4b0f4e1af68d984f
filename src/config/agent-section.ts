import { z } from "zod";
import { ConfigInvalidError } from "../errors.js";
import { normalizeHostName } from "../agent/http-guard.js";
import { parseDuration, syncWindowsSchema, toSyncWindow, type SyncWindow } from "../agent/sync-windows.js";

/**
 * Settings of the long-running agent (`gitdock run`): triggers, HTTP endpoints, sync windows.
 * Owned by the agent loop (src/agent/). The config file's `agent:` section is parsed by
 * `agentSectionSchema`; `agentSectionDefaults` turns it into `settings.agent` (durations in ms,
 * every default filled in). Flags of `gitdock run` (`--interval`, `--listen`, ...) win over it.
 */
const DURATION_SHAPE = /^(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;

/** A host name or IP address as a Host header names it: no scheme, port or wildcard (IPv6 with or without brackets). */
const HOST_NAME = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?)$/;

const duration = (what: string) =>
  z
    .string()
    .regex(DURATION_SHAPE, "expected a duration such as 60s, 5m, 1h30m or 500ms")
    .refine((s) => isDuration(s), "must be greater than zero")
    .describe(what);

export const agentSectionSchema = z
  .strictObject({
    interval: duration("How often the branch is polled (default 60s)").optional(),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .describe("Each poll interval moves by up to this fraction of itself, so hosts do not poll in step (default 0.1)")
      .optional(),
    listen: z
      .string()
      .refine((s) => parseListen(s) !== undefined, "expected host:port, e.g. 127.0.0.1:9380")
      .describe("Address of the HTTP endpoints: /metrics, /healthz, /readyz, /status, /hooks/git, /sync (default 127.0.0.1:9380)")
      .optional(),
    allowed_hosts: z
      .array(z.string().regex(HOST_NAME, "expected a host name or IP address without scheme, port or wildcard, e.g. gitdock.example.com"))
      .describe(
        "Host names the HTTP endpoints answer to besides loopback addresses and the listen address, e.g. the public name a reverse proxy forwards webhooks with (default none); other Host and Origin headers are refused",
      )
      .optional(),
    webhook: z
      .strictObject({
        secret_file: z
          .string()
          .min(1)
          .describe("File holding the webhook secret (GitHub/Gitea HMAC key, GitLab token); without it every webhook is refused")
          .optional(),
        max_body_bytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .describe("Larger webhook bodies are refused with 413 (default 1048576)")
          .optional(),
      })
      .optional(),
    sync_windows: syncWindowsSchema
      .describe("Windows that hold new commits back (Argo CD's meaning); drift repair goes on unless a window says otherwise")
      .optional(),
    shutdown_timeout: duration("On SIGTERM, how long a rollout in progress may run before it is rolled back (default 120s)").optional(),
    backoff: z
      .strictObject({
        initial: duration("First retry delay after a failed pass (default 2s)").optional(),
        max: duration("Longest retry delay after failed passes (default 5m)").optional(),
      })
      .optional(),
    repair_budget: z
      .strictObject({
        max: z.number().int().min(0).describe("Drift repairs allowed per service within the window (default 5)").optional(),
        window: duration("The sliding window the repairs are counted in (default 10m)").optional(),
      })
      .optional(),
    docker_events: z.boolean().describe("Watch the Engine's events to repair a stopped or removed container at once (default true)").optional(),
    watch_repo: z.boolean().describe("With a local --repo path, reconcile when its branch refs change (default true)").optional(),
  })
  .describe("The long-running agent (`gitdock run`)");

export type AgentSectionConfig = z.output<typeof agentSectionSchema>;

/** `settings.agent`: the section with every default filled in. */
export interface AgentSection {
  intervalMs: number;
  jitter: number;
  listen: { host: string; port: number };
  /** Lower case, without brackets or a trailing dot (http-guard.ts compares them so). */
  allowedHosts: string[];
  webhook: { secretFile: string | undefined; maxBodyBytes: number };
  syncWindows: SyncWindow[];
  shutdownTimeoutMs: number;
  backoff: { initialMs: number; maxMs: number };
  repairBudget: { max: number; windowMs: number };
  dockerEvents: boolean;
  watchRepo: boolean;
}

export const AGENT_DEFAULTS = {
  interval: "60s",
  jitter: 0.1,
  listen: "127.0.0.1:9380",
  allowedHosts: [] as readonly string[],
  maxBodyBytes: 1024 * 1024,
  shutdownTimeout: "120s",
  backoffInitial: "2s",
  backoffMax: "5m",
  repairMax: 5,
  repairWindow: "10m",
} as const;

export function agentSectionDefaults(raw: AgentSectionConfig | undefined): AgentSection {
  const r = raw ?? {};
  return {
    intervalMs: parseDuration(r.interval ?? AGENT_DEFAULTS.interval),
    jitter: r.jitter ?? AGENT_DEFAULTS.jitter,
    listen: parseListen(r.listen ?? AGENT_DEFAULTS.listen) ?? { host: "127.0.0.1", port: 9380 },
    allowedHosts: (r.allowed_hosts ?? AGENT_DEFAULTS.allowedHosts).map(normalizeHostName),
    webhook: { secretFile: r.webhook?.secret_file, maxBodyBytes: r.webhook?.max_body_bytes ?? AGENT_DEFAULTS.maxBodyBytes },
    syncWindows: (r.sync_windows ?? []).map(toSyncWindow),
    shutdownTimeoutMs: parseDuration(r.shutdown_timeout ?? AGENT_DEFAULTS.shutdownTimeout),
    backoff: {
      initialMs: parseDuration(r.backoff?.initial ?? AGENT_DEFAULTS.backoffInitial),
      maxMs: parseDuration(r.backoff?.max ?? AGENT_DEFAULTS.backoffMax),
    },
    repairBudget: {
      max: r.repair_budget?.max ?? AGENT_DEFAULTS.repairMax,
      windowMs: parseDuration(r.repair_budget?.window ?? AGENT_DEFAULTS.repairWindow),
    },
    dockerEvents: r.docker_events ?? true,
    watchRepo: r.watch_repo ?? true,
  };
}

/**
 * `host:port` (IPv6 as `[::1]:9380`). Port 0 asks the OS for a free port (tests); the agent logs
 * the address it got. Undefined when malformed.
 */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? "", port };
}

export function formatListen(l: { host: string; port: number }): string {
  return l.host.includes(":") ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

function isDuration(s: string): boolean {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}

/** Flags of `gitdock run` (and `--listen` of `sync --now`/`status`) as commander gives them. */
export interface AgentFlags {
  interval?: string;
  listen?: string;
  shutdownTimeout?: string;
  webhookSecretFile?: string;
}

/** Flags win over the config file. */
export function applyAgentFlags(agent: AgentSection, flags: AgentFlags): AgentSection {
  const out = { ...agent };
  if (flags.interval !== undefined) out.intervalMs = flagDuration("--interval", flags.interval);
  if (flags.shutdownTimeout !== undefined) out.shutdownTimeoutMs = flagDuration("--shutdown-timeout", flags.shutdownTimeout);
  if (flags.listen !== undefined) {
    const listen = parseListen(flags.listen);
    if (!listen) throw new ConfigInvalidError(`--listen ${flags.listen}: expected host:port, e.g. 127.0.0.1:9380`);
    out.listen = listen;
  }
  if (flags.webhookSecretFile !== undefined) out.webhook = { ...out.webhook, secretFile: flags.webhookSecretFile };
  return out;
}

function flagDuration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new ConfigInvalidError(`${flag} ${text}: ${(err as Error).message}`);
  }
}
