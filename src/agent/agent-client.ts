/**
 * `gitdock sync --now` and `gitdock status` talk to the running agent when one answers on the
 * listen address and serves the same host id and state directory (it accepts the control token
 * read from that state directory); otherwise they do the work themselves (undefined here). A pass
 * the agent ran and that failed comes back as a `RemotePassError` carrying the agent's error code
 * and handling, so the exit code is the same as a local sync's.
 */
import { formatListen } from "../config/agent-section.js";
import type { Settings } from "../config/settings.js";
import { GitdockError, type ErrorHandling } from "../errors.js";
import type { AgentStatus, PassError, PassRecord } from "./agent-status.js";
import { readControlToken } from "./control-token.js";

const PROBE_TIMEOUT_MS = 2_000;
/** A manual pass may wait for a rollout's health gates; give it as long as a local sync's lock wait. */
const SYNC_TIMEOUT_MS = 30 * 60_000;

/** A failed pass of the running agent, with its code and handling. */
export class RemotePassError extends GitdockError {
  readonly code: string;
  readonly handling: ErrorHandling;
  constructor(e: PassError) {
    super(e.message, { hint: e.hint, data: { byAgent: true } });
    this.code = e.code ?? "GITDOCK_E_AGENT_PASS";
    this.handling = isHandling(e.handling) ? e.handling : "retry";
  }
}

/** An agent that serves these settings, and the token it accepts. */
interface AgentConnection {
  base: string;
  token: string;
}

/**
 * The agent serving these settings, if one answers: its `/healthz` names this host id, and then its
 * token is read from this state directory (an AgentTokenError naming the file when it cannot be).
 * Whether the agent really uses this state directory shows when it accepts the token.
 */
export async function findAgent(settings: Settings): Promise<AgentConnection | undefined> {
  const { host, port } = settings.agent.listen;
  if (port === 0) return undefined;
  const connectHost = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const base = `http://${formatListen({ host: connectHost, port })}`;
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json()) as { hostId?: string };
    if (!res.ok || body.hostId !== settings.hostId) return undefined;
  } catch {
    return undefined; // nothing listens there, or not a gitdock agent
  }
  return { base, token: await readControlToken(settings.stateDir) };
}

/**
 * A request with the control token. A 401 means the agent holds another token: it restarted since
 * the token was read (read it again, once), or it uses another state directory (undefined).
 */
async function authorizedFetch(settings: Settings, agent: AgentConnection, path: string, init: RequestInit): Promise<Response | undefined> {
  const send = (token: string) => fetch(`${agent.base}${path}`, { ...init, headers: { Authorization: `Bearer ${token}` } });
  const res = await send(agent.token);
  if (res.status !== 401) return res;
  await res.body?.cancel();
  const again = await readControlToken(settings.stateDir);
  if (again === agent.token) return undefined;
  const retried = await send(again);
  if (retried.status !== 401) return retried;
  await retried.body?.cancel();
  return undefined;
}

/** `/status` of the running agent, or undefined when none serves these settings. */
export async function statusFromAgent(settings: Settings): Promise<(Record<string, unknown> & { agent: AgentStatus }) | undefined> {
  const agent = await findAgent(settings);
  if (!agent) return undefined;
  const res = await authorizedFetch(settings, agent, "/status", { signal: AbortSignal.timeout(60_000) });
  if (!res?.ok) return undefined;
  return (await res.json()) as Record<string, unknown> & { agent: AgentStatus };
}

/**
 * Ask the running agent for a pass now and wait for it. Undefined when no agent serves these
 * settings; throws `RemotePassError` when the pass failed.
 */
export async function syncThroughAgent(settings: Settings): Promise<PassRecord | undefined> {
  const agent = await findAgent(settings);
  if (!agent) return undefined;
  const res = await authorizedFetch(settings, agent, "/sync", { method: "POST", signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) });
  if (!res) return undefined;
  const body = (await res.json()) as { ok: boolean; pass?: PassRecord; error?: PassError };
  const error = body.pass?.error ?? body.error;
  if (error) throw new RemotePassError(error);
  if (!body.pass)
    throw new RemotePassError({ code: undefined, handling: undefined, message: `the agent answered ${res.status} without a pass`, hint: undefined });
  return body.pass;
}

function isHandling(h: string | undefined): h is ErrorHandling {
  return h === "reject" || h === "retry" || h === "rollback" || h === "fatal";
}
