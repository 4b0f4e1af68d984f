/**
 * The agent (`gitdock run`) as a child process for end-to-end tests, plus what its scenarios need:
 * its HTTP endpoints, Prometheus text parsing, signed webhooks, and a unix-socket proxy in front
 * of the Engine that a test can stop and start (the suite shares one dockerd, which must never be
 * restarted; an unreachable proxy looks the same to the agent).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { startGitdock, type RunningGitdock } from "../../support/cli.js";
import type { TestHost } from "./test-host.js";

export interface AgentProcess {
  proc: RunningGitdock;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** `127.0.0.1:<port>`, for `--listen` of `status` and `sync --now`. */
  listen: string;
  /** GET with the agent's control token (read from its state directory at each call), unless `auth: false`. */
  get(path: string, opts?: { auth?: boolean }): Promise<{ status: number; body: string; json: () => any }>;
  /** The control token the agent wrote to its state directory. */
  token(): Promise<string>;
  metrics(): Promise<Metrics>;
  /** Log lines (pino JSON) parsed, oldest first. */
  logs(): Record<string, unknown>[];
  stop(signal?: NodeJS.Signals, timeoutMs?: number): ReturnType<RunningGitdock["stop"]>;
}

/** Starts `gitdock run` for a test host on a free port and waits until it listens. */
export async function startAgent(host: TestHost, repo: string, opts: { config?: string; configFile?: string; args?: string[] } = {}): Promise<AgentProcess> {
  const args = ["run", "--repo", repo, "--state-dir", host.stateDir, "--host-id", host.hostId, "--listen", "127.0.0.1:0", ...(opts.args ?? [])];
  if (opts.configFile) {
    await writeFile(opts.configFile, opts.config ?? "{}\n");
    args.push("--config", opts.configFile);
  }
  const proc = startGitdock(args, { env: { GITDOCK_LOG_LEVEL: "info" } });
  const m = await proc.waitForOutput(/"listen":"127\.0\.0\.1:(\d+)"/, 30_000);
  const listen = `127.0.0.1:${m[1]}`;
  const base = `http://${listen}`;
  return {
    proc,
    base,
    listen,
    token: () => readToken(host.stateDir),
    async get(path, getOpts = {}) {
      const headers: Record<string, string> = getOpts.auth === false ? {} : { Authorization: `Bearer ${await readToken(host.stateDir)}` };
      const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      return { status: res.status, body, json: () => JSON.parse(body) };
    },
    async metrics() {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return parseMetrics(await res.text());
    },
    logs: () =>
      proc
        .stderr()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: (signal, timeoutMs) => proc.stop(signal, timeoutMs),
  };
}

async function readToken(stateDir: string): Promise<string> {
  return (await readFile(path.join(stateDir, "agent.token"), "utf8")).trim();
}

/** A request with any headers, Host included (fetch does not let a caller set it). */
export function rawRequest(
  listen: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method: opts.method ?? "GET", path: opts.path, headers: opts.headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`${opts.method ?? "GET"} ${opts.path} to ${listen} timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export interface Metrics {
  text: string;
  /** The sum of every series of `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number;
  has(name: string, labels?: Record<string, string>): boolean;
}

export function parseMetrics(text: string): Metrics {
  const series: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith("#")) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    series.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  const matching = (name: string, labels: Record<string, string> = {}) =>
    series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    text,
    value: (name, labels) => matching(name, labels).reduce((sum, s) => sum + s.value, 0),
    has: (name, labels) => matching(name, labels).length > 0,
  };
}

/**
 * POSTs a GitHub push webhook for `refs/heads/<branch>`, signed with `secret` unless `signature` is
 * given, with a new delivery id unless `delivery` is given (the agent drops a replayed delivery).
 */
export async function sendPushWebhook(
  base: string,
  opts: { secret: string; after: string; branch?: string; signature?: string | null; delivery?: string },
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ ref: `refs/heads/${opts.branch ?? "main"}`, after: opts.after, repository: { full_name: "test/manifests" } });
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": opts.delivery ?? randomUUID() };
  const signature = opts.signature === undefined ? `sha256=${createHmac("sha256", opts.secret).update(body).digest("hex")}` : opts.signature;
  if (signature !== null) headers["X-Hub-Signature-256"] = signature;
  const res = await fetch(`${base}/hooks/git`, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

export interface EngineProxy {
  /** `unix://<socket>`, for `--docker-host`. */
  dockerHost: string;
  start(): Promise<void>;
  /** Closes the socket and cuts every open connection (the event stream included). */
  stop(): Promise<void>;
}

/** A unix-socket proxy to /var/run/docker.sock that can be stopped and started again. */
export async function startEngineProxy(socketPath: string, target = "/var/run/docker.sock"): Promise<EngineProxy> {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const start = async (): Promise<void> => {
    await rm(socketPath, { force: true });
    const s = net.createServer((client) => {
      const upstream = net.connect(target);
      sockets.add(client).add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      for (const sock of [client, upstream]) {
        sock.on("error", end);
        sock.on("close", end);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(socketPath, () => resolve());
    });
    server = s;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await rm(socketPath, { force: true });
  };
  await start();
  return { dockerHost: `unix://${socketPath}`, start, stop };
}
