import { z } from "zod";
import { DURATION_EXAMPLES, DURATION_PATTERN, durationProblem, parseDuration } from "../duration.js";
import { CONFIG_DEFAULTS } from "./defaults.js";
import { syncWindowsSchema, toSyncWindow, type SyncWindow } from "./sync-windows-section.js";

/**
 * Settings of the long-running agent (`gitdock run`): triggers, HTTP endpoints, sync windows.
 * Owned by the agent loop (src/agent/). The config file's `agent:` section is parsed by
 * `agentSectionSchema`; `agentSectionDefaults` turns it into `settings.agent` (durations in ms,
 * every default filled in from CONFIG_DEFAULTS.agent). Flags of `gitdock run` (`--interval`,
 * `--listen`, ...) win over it (apply-flags.ts).
 */
const D = CONFIG_DEFAULTS.agent;

/** A host name or IP address as a Host header names it: no scheme, port or wildcard (IPv6 with or without brackets). */
const HOST_NAME = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?)$/;

/** A setting's duration: the grammar of src/duration.ts (its pattern goes into the JSON Schema), greater than zero. */
const settingDuration = (what: string) =>
  z
    .string()
    .regex(DURATION_PATTERN, `expected a duration, ${DURATION_EXAMPLES}`)
    .refine((s) => !DURATION_PATTERN.test(s) || durationProblem(s) === undefined, "must be greater than zero")
    .describe(what);

export const agentSectionSchema = z
  .strictObject({
    interval: settingDuration(`How often the branch is polled (default ${D.interval})`).optional(),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .describe(`Each poll interval moves by up to this fraction of itself, so hosts do not poll in step (default ${D.jitter})`)
      .optional(),
    listen: z
      .string()
      .refine((s) => parseListen(s) !== undefined, `expected host:port, e.g. ${D.listen}`)
      .describe(`Address of the HTTP endpoints: /metrics, /healthz, /readyz, /status, /hooks/git, /sync (default ${D.listen})`)
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
          .describe(`Larger webhook bodies are refused with 413 (default ${D.webhook.max_body_bytes})`)
          .optional(),
      })
      .optional(),
    sync_windows: syncWindowsSchema
      .describe("Windows that hold new commits back (Argo CD's meaning); drift repair goes on unless a window says otherwise")
      .optional(),
    shutdown_timeout: settingDuration(`On SIGTERM, how long a rollout in progress may run before it is rolled back (default ${D.shutdown_timeout})`).optional(),
    backoff: z
      .strictObject({
        initial: settingDuration(`First retry delay after a failed pass (default ${D.backoff.initial})`).optional(),
        max: settingDuration(`Longest retry delay after failed passes (default ${D.backoff.max})`).optional(),
      })
      .optional(),
    repair_budget: z
      .strictObject({
        max: z.number().int().min(0).describe(`Drift repairs allowed per service within the window (default ${D.repair_budget.max})`).optional(),
        window: settingDuration(`The sliding window the repairs are counted in (default ${D.repair_budget.window})`).optional(),
      })
      .optional(),
    docker_events: z.boolean().describe(`Watch the Engine's events to repair a stopped or removed container at once (default ${D.docker_events})`).optional(),
    watch_repo: z.boolean().describe(`With a local --repo path, reconcile when its branch refs change (default ${D.watch_repo})`).optional(),
  })
  .describe("The long-running agent (`gitdock run`)");

export type AgentSectionConfig = z.output<typeof agentSectionSchema>;

/** `settings.agent`: the section with every default filled in. */
export interface AgentSection {
  intervalMs: number;
  jitter: number;
  listen: ListenAddress;
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

export interface ListenAddress {
  host: string;
  port: number;
}

export function agentSectionDefaults(raw: AgentSectionConfig | undefined): AgentSection {
  const r = raw ?? {};
  return {
    intervalMs: parseDuration(r.interval ?? D.interval),
    jitter: r.jitter ?? D.jitter,
    listen: listenOf(r.listen ?? D.listen),
    allowedHosts: (r.allowed_hosts ?? D.allowed_hosts).map(normalizeHostName),
    webhook: { secretFile: r.webhook?.secret_file, maxBodyBytes: r.webhook?.max_body_bytes ?? D.webhook.max_body_bytes },
    syncWindows: (r.sync_windows ?? D.sync_windows).map(toSyncWindow),
    shutdownTimeoutMs: parseDuration(r.shutdown_timeout ?? D.shutdown_timeout),
    backoff: {
      initialMs: parseDuration(r.backoff?.initial ?? D.backoff.initial),
      maxMs: parseDuration(r.backoff?.max ?? D.backoff.max),
    },
    repairBudget: {
      max: r.repair_budget?.max ?? D.repair_budget.max,
      windowMs: parseDuration(r.repair_budget?.window ?? D.repair_budget.window),
    },
    dockerEvents: r.docker_events ?? D.docker_events,
    watchRepo: r.watch_repo ?? D.watch_repo,
  };
}

/**
 * `host:port` (IPv6 as `[::1]:9380`). Port 0 asks the OS for a free port (tests); the agent logs
 * the address it got. Undefined when malformed.
 */
export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? "", port };
}

/** A listen address the schema has accepted. */
function listenOf(text: string): ListenAddress {
  const listen = parseListen(text);
  if (listen === undefined) throw new RangeError(`listen address ${text} was not validated`);
  return listen;
}

export function formatListen(l: ListenAddress): string {
  return l.host.includes(":") ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

/** `gitdock.example.com.` → `gitdock.example.com`; `[::1]` → `::1`. The agent's HTTP guard compares names so. */
export function normalizeHostName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}
