/**
 * The agent's HTTP endpoints on `agent.listen` (its default: src/config/defaults.ts):
 *
 *   GET  /healthz    200 while the loop is alive (503 once it is stopping); no paths
 *   GET  /readyz     200 when the last pass ended ok or waiting, else 503 with the reason
 *   GET  /status     the JSON of `gitdock status --json`, with the agent's own state under `agent`  [token]
 *   GET  /metrics    Prometheus text (gitdock_* and the process metrics)
 *   POST /hooks/git  push webhooks (GitHub, Gitea/Forgejo, GitLab), verified by their signature;
 *                    202 when a pass is triggered, 200 for a replayed delivery
 *   POST /sync       one pass now (a manual sync, the only kind a sync window may let through);
 *                    answers when that pass is done, with its result  [token]
 *
 * Every request first passes the Host and Origin checks (http-guard.ts: 421, 403); [token] routes
 * then need `Authorization: Bearer <token>` (401). The handler only maps requests to the injected
 * `HttpDeps`, so it is tested with fakes. It never logs or echoes a request body or credential.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.js";
import type { AgentStatus, PassRecord } from "./agent-status.js";
import { refuseMisdirected, refuseUnauthenticated, type AccessSettings, type Refusal } from "./http-guard.js";
import type { PassOutcome } from "./pass-scheduler.js";
import type { RecentDeliveries } from "./recent-deliveries.js";
import { BodyTooLargeError, readLimitedBody, verifyWebhook, type WebhookOptions, type WebhookResult } from "./webhook.js";

export interface HttpDeps {
  status(): AgentStatus;
  /** `gitdock status --json` as of now (reads the state and the Engine). */
  statusReport(): Promise<unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The current secret, branch and limit (they change on reload). */
  webhookOptions(): WebhookOptions;
  /** The control token and the names the agent answers to (allowed_hosts changes on reload). */
  access(): AccessSettings;
  /** Webhook deliveries already acted on (replays trigger nothing). */
  deliveries: RecentDeliveries;
  /** An authenticated push to the followed branch. */
  onPush(push: Extract<WebhookResult, { kind: "push" | "notes" }>): void;
  /** Run a manual pass and wait for it. Reached only with the control token. */
  sync(): Promise<PassOutcome<PassRecord>>;
  log: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse, deps: HttpDeps) => Promise<void> | void;

/** `token`: the route changes something or reveals paths and reasons, so it needs the control token. */
interface Route {
  handle: Handler;
  token?: true;
}

const ROUTES: Record<string, Partial<Record<string, Route>>> = {
  "/healthz": { GET: { handle: healthz }, HEAD: { handle: healthz } },
  "/readyz": { GET: { handle: readyz }, HEAD: { handle: readyz } },
  "/status": { GET: { handle: status, token: true } },
  "/metrics": { GET: { handle: metrics } },
  // Authenticated by the forge's signature (a forge cannot send the token); replays are dropped.
  "/hooks/git": { POST: { handle: hook } },
  "/sync": { POST: { handle: sync, token: true } },
};

export function createRequestHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://agent").pathname;
    const access = deps.access();
    const misdirected = refuseMisdirected(req.headers, access);
    if (misdirected) return void refuse(req, res, deps, path, misdirected);
    const methods = ROUTES[path];
    const route = methods?.[req.method ?? "GET"];
    if (!methods) return void sendJson(res, 404, { error: `no such endpoint: ${path}` }, req);
    if (!route) {
      res.setHeader("Allow", Object.keys(methods).join(", "));
      return void sendJson(res, 405, { error: `${req.method} is not allowed on ${path}` }, req);
    }
    const unauthenticated = route.token ? refuseUnauthenticated(req.headers, access) : undefined;
    if (unauthenticated) return void refuse(req, res, deps, path, unauthenticated);
    Promise.resolve()
      .then(() => route.handle(req, res, deps))
      .catch((err: unknown) => {
        deps.log.error({ stage: "http", path, err: err instanceof Error ? err.message : String(err) }, "request failed");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" }, req);
        else res.destroy();
      });
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, path: string, r: Refusal): void {
  deps.log.warn({ stage: "http", path, method: req.method, status: r.status, reason: r.reason }, "request refused");
  for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, value);
  sendJson(res, r.status, { error: r.error }, req);
}

/** Liveness, and the host id clients use to recognize their agent. Nothing about paths or pids. */
function healthz(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): void {
  const s = deps.status();
  const alive = s.phase !== "stopping";
  sendJson(res, alive ? 200 : 503, { status: alive ? "ok" : "stopping", hostId: s.hostId, phase: s.phase }, req);
}

function readyz(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): void {
  const p = deps.status().lastPass;
  if (p && (p.result === "ok" || p.result === "waiting")) {
    return sendJson(res, 200, { ready: true, result: p.result, commit: p.summary?.commit, at: p.finishedAt }, req);
  }
  const reason = !p ? "no reconcile has finished yet" : p.error ? p.error.message.split("\n")[0] : `last reconcile: ${p.summary?.outcome ?? p.result}`;
  sendJson(res, 503, { ready: false, result: p?.result, reason }, req);
}

async function status(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  req.resume();
  try {
    const report = (await deps.statusReport()) as Record<string, unknown>;
    sendJson(res, 200, { ...report, agent: deps.status() });
  } catch (err) {
    sendJson(res, 503, { error: err instanceof Error ? err.message : String(err), agent: deps.status() });
  }
}

async function metrics(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  req.resume();
  const { contentType, body } = await deps.metrics();
  res.writeHead(200, { "Content-Type": contentType });
  res.end(body);
}

async function hook(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const opts = deps.webhookOptions();
  let body: Buffer;
  try {
    body = await readLimitedBody(req, opts.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      deps.log.warn({ stage: "webhook", status: 413, reason: err.message }, "webhook refused");
      res.setHeader("Connection", "close");
      return sendJson(res, 413, { error: err.message });
    }
    throw err;
  }
  const result = verifyWebhook({ headers: req.headers, body }, opts);
  switch (result.kind) {
    case "rejected":
      // The reason names headers only; never the body or the secret.
      deps.log.warn({ stage: "webhook", status: result.status, reason: result.reason }, "webhook refused; nothing triggered");
      return sendJson(res, result.status, { error: result.reason });
    case "ignored":
      deps.log.info({ stage: "webhook", reason: result.reason }, "webhook ignored");
      return sendJson(res, 200, { triggered: false, reason: result.reason });
    case "push":
    case "notes": {
      const duplicate = deps.deliveries.admit({ provider: result.provider, id: result.delivery, body });
      if (duplicate) {
        deps.log.warn({ stage: "webhook", provider: result.provider, reason: duplicate }, "webhook replayed; nothing triggered");
        return sendJson(res, 200, { triggered: false, reason: duplicate });
      }
      if (result.kind === "notes") deps.log.info({ stage: "webhook", provider: result.provider }, "notes pushed (another host's outcome); reconciling");
      else deps.log.info({ stage: "webhook", provider: result.provider, branch: result.branch, commit: result.after }, "push webhook; reconciling");
      deps.onPush(result);
      return sendJson(res, 202, { triggered: true });
    }
  }
}

async function sync(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  req.resume();
  const outcome = await deps.sync();
  if (!outcome.ok)
    return sendJson(res, 503, {
      ok: false,
      error: { code: undefined, handling: undefined, message: String((outcome.error as Error)?.message ?? outcome.error), hint: undefined },
    });
  const pass = outcome.value;
  sendJson(res, pass.error ? 500 : 200, { ok: pass.error === undefined, pass });
}

function sendJson(res: ServerResponse, statusCode: number, body: unknown, req?: IncomingMessage): void {
  req?.resume();
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(statusCode, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(req?.method === "HEAD" ? undefined : text);
}

export interface RunningServer {
  /** The address it listens on (the real port when 0 was asked for). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startHttpServer(listen: { host: string; port: number }, handler: http.RequestListener): Promise<RunningServer> {
  const server = http.createServer(handler);
  // A slow client must not hold a webhook or sync request open forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 0; // POST /sync waits for a whole pass
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    address: { host: listen.host, port: addr.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
