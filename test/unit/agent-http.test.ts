import { createHmac } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentStatus, PassRecord } from "../../src/agent/agent-status.js";
import { createRequestHandler, startHttpServer, type HttpDeps, type RunningServer } from "../../src/agent/http-server.js";
import type { PassOutcome } from "../../src/agent/pass-scheduler.js";
import { RecentDeliveries } from "../../src/agent/recent-deliveries.js";

const SECRET = "s3cret-for-http-tests";
const TOKEN = "ab".repeat(32);
const AUTH = { Authorization: `Bearer ${TOKEN}` };

function baseStatus(over: Partial<AgentStatus> = {}): AgentStatus {
  return {
    pid: 1,
    hostId: "h1",
    stateDir: "/var/lib/gitdock",
    listen: "127.0.0.1:0",
    startedAt: "2026-01-01T00:00:00.000Z",
    phase: "idle",
    pending: false,
    lastPass: undefined,
    lastSuccessAt: undefined,
    consecutiveErrors: 0,
    nextPollAt: undefined,
    waitingCommit: undefined,
    windows: undefined,
    suppressedRepairs: [],
    lastFailureOutput: undefined,
    ...over,
  };
}

function pass(over: Partial<PassRecord> = {}): PassRecord {
  return {
    number: 1,
    startedAt: "t0",
    finishedAt: "t1",
    triggers: "manual",
    result: "ok",
    summary: { outcome: "synced", target: "a".repeat(40), commit: "a".repeat(40), changed: 0, reason: undefined, conflicts: [] },
    error: undefined,
    ...over,
  };
}

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(over: Partial<HttpDeps> = {}) {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const pushes: unknown[] = [];
  let syncs = 0;
  let status = baseStatus();
  const deps: HttpDeps = {
    log,
    access: () => ({ token: TOKEN, allowedHosts: ["hooks.example.com"], listenHost: "127.0.0.1" }),
    deliveries: new RecentDeliveries(),
    status: () => status,
    statusReport: async () => ({ hostId: "h1", stacks: [] }),
    metrics: async () => ({ contentType: "text/plain; version=0.0.4", body: "gitdock_reconciles_total 1\n" }),
    webhookOptions: () => ({ secret: Buffer.from(SECRET), branch: "main", maxBodyBytes: 4096 }),
    onPush: (p) => void pushes.push(p),
    sync: async (): Promise<PassOutcome<PassRecord>> => ({ ok: true, value: pass() }),
    ...over,
  };
  const sync = deps.sync.bind(deps);
  deps.sync = () => (syncs++, sync());
  const server = await startHttpServer({ host: "127.0.0.1", port: 0 }, createRequestHandler(deps));
  servers.push(server);
  const base = `http://127.0.0.1:${server.address.port}`;
  return { base, port: server.address.port, lines, pushes, syncs: () => syncs, setStatus: (s: AgentStatus) => (status = s) };
}

/** A request with headers fetch will not let a caller set (Host). */
function raw(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: opts.method ?? "GET", path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

function signedPush(branch = "main", secret = SECRET, opts: { after?: string; delivery?: string } = {}) {
  const body = JSON.stringify({ ref: `refs/heads/${branch}`, after: opts.after ?? "b".repeat(40), token: "do-not-log-me" });
  const sig = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": sig };
  if (opts.delivery !== undefined) headers["X-GitHub-Delivery"] = opts.delivery;
  return { method: "POST", body, headers };
}

describe("agent HTTP endpoints", () => {
  it("/healthz answers 200 while alive and 503 once stopping, naming the host id and nothing else", async () => {
    const t = await serve();
    const ok = await fetch(`${t.base}/healthz`);
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(JSON.parse(text)).toEqual({ status: "ok", hostId: "h1", phase: "idle" });
    expect(text).not.toContain("/var/lib/gitdock");
    t.setStatus(baseStatus({ phase: "stopping" }));
    const stopping = await fetch(`${t.base}/healthz`);
    expect(stopping.status).toBe(503);
    expect(await stopping.json()).toEqual({ status: "stopping", hostId: "h1", phase: "stopping" });
  });

  it.each([
    ["before any pass", undefined, 503, "no reconcile has finished yet"],
    ["after an ok pass", pass(), 200, undefined],
    ["while a commit waits for a window", pass({ result: "waiting" }), 200, undefined],
    ["after a rollback", pass({ result: "rolled_back", summary: { ...pass().summary!, outcome: "rolled-back" } }), 503, "last reconcile: rolled-back"],
    [
      "after a failed pass",
      pass({
        result: "error",
        summary: undefined,
        error: { code: "GITDOCK_E_SOURCE_UNAVAILABLE", handling: "retry", message: "git down\nmore", hint: undefined },
      }),
      503,
      "git down",
    ],
  ])("/readyz %s", async (_name, lastPass, code, reason) => {
    const t = await serve();
    t.setStatus(baseStatus({ lastPass }));
    const res = await fetch(`${t.base}/readyz`);
    expect(res.status).toBe(code);
    const body = (await res.json()) as { ready: boolean; reason?: string };
    expect(body.ready).toBe(code === 200);
    if (reason) expect(body.reason).toBe(reason);
  });

  it("/status is the status report with the agent's own state under `agent`; 503 when it cannot be built", async () => {
    const t = await serve();
    expect(await (await fetch(`${t.base}/status`, { headers: AUTH })).json()).toMatchObject({ hostId: "h1", stacks: [], agent: { pid: 1, phase: "idle" } });
    const broken = await serve({ statusReport: async () => Promise.reject(new Error("engine unreachable")) });
    const res = await fetch(`${broken.base}/status`, { headers: AUTH });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "engine unreachable" });
  });

  it("/metrics serves the exposition with its content type", async () => {
    const t = await serve();
    const res = await fetch(`${t.base}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain("gitdock_reconciles_total 1");
  });

  it("a signed push to the branch triggers (202); the body never reaches the log", async () => {
    const t = await serve();
    const res = await fetch(`${t.base}/hooks/git`, signedPush());
    expect(res.status).toBe(202);
    expect(t.pushes).toEqual([{ kind: "push", provider: "github", branch: "main", after: "b".repeat(40) }]);
    expect(t.lines.join("")).not.toContain("do-not-log-me");
    expect(t.lines.join("")).not.toContain(SECRET);
  });

  it("a forged, unsigned or oversized webhook is refused and triggers nothing; another branch is ignored", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/hooks/git`, signedPush("main", "wrong"))).status).toBe(401);
    const unsigned = signedPush();
    delete unsigned.headers["X-Hub-Signature-256"];
    expect((await fetch(`${t.base}/hooks/git`, unsigned)).status).toBe(401);
    const big = { ...signedPush(), body: "x".repeat(10_000) };
    expect((await fetch(`${t.base}/hooks/git`, big)).status).toBe(413);
    const other = await fetch(`${t.base}/hooks/git`, signedPush("feature"));
    expect(other.status).toBe(200);
    expect(await other.json()).toMatchObject({ triggered: false });
    expect(t.pushes).toEqual([]);
    expect(t.lines.join("")).not.toContain("do-not-log-me");
  });

  it("POST /sync answers with the pass: 200 when it ran, 500 when it failed, 503 when the agent is stopping", async () => {
    const ok = await serve();
    const r1 = await fetch(`${ok.base}/sync`, { method: "POST", headers: AUTH });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toMatchObject({ ok: true, pass: { number: 1, summary: { outcome: "synced" } } });

    const error = { code: "GITDOCK_E_PULL_FAILED", handling: "retry", message: "could not pull", hint: "check the registry" };
    const failed = await serve({ sync: async () => ({ ok: true, value: pass({ result: "error", summary: undefined, error }) }) });
    const r2 = await fetch(`${failed.base}/sync`, { method: "POST", headers: AUTH });
    expect(r2.status).toBe(500);
    expect(await r2.json()).toMatchObject({ ok: false, pass: { error } });

    const stopping = await serve({ sync: async () => ({ ok: false, error: new Error("shutting down"), cancelled: true }) });
    const r3 = await fetch(`${stopping.base}/sync`, { method: "POST", headers: AUTH });
    expect(r3.status).toBe(503);
    expect(await r3.json()).toMatchObject({ ok: false, error: { message: "shutting down" } });
  });

  it("unknown paths are 404 and wrong methods 405 with Allow", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/nope`)).status).toBe(404);
    const res = await fetch(`${t.base}/sync`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await fetch(`${t.base}/hooks/git`)).status).toBe(405);
  });
});

describe("agent HTTP endpoints: the control token", () => {
  it.each([
    ["POST", "/sync"],
    ["GET", "/status"],
  ])("%s %s without a token is 401, says how to authenticate, and does nothing", async (method, path) => {
    const t = await serve();
    const res = await fetch(`${t.base}${path}`, { method });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="gitdock"');
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/authentication required.*Authorization: Bearer <token>.*agent\.token/);
    expect(JSON.stringify(body)).not.toContain("h1"); // not the status report
    expect(t.syncs()).toBe(0);
    expect(t.lines.join("")).toContain("no Authorization header");
  });

  it.each([
    ["a wrong token", `Bearer ${"cd".repeat(32)}`],
    ["the token with one digit changed", `Bearer ${TOKEN.slice(0, -1)}c`],
    ["a prefix of the token", `Bearer ${TOKEN.slice(0, 32)}`],
    ["another scheme", `Basic ${Buffer.from(`gitdock:${TOKEN}`).toString("base64")}`],
    ["an empty bearer", "Bearer "],
  ])("%s is 401, and neither the response nor the log echoes it", async (_name, authorization) => {
    const t = await serve();
    for (const [method, path] of [
      ["POST", "/sync"],
      ["GET", "/status"],
    ] as const) {
      const res = await fetch(`${t.base}${path}`, { method, headers: { Authorization: authorization } });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text).error).toMatch(/not this agent's.*agent\.token/);
      const sent = authorization.split(" ")[1] ?? "";
      if (sent) expect(text).not.toContain(sent);
      if (sent) expect(t.lines.join("")).not.toContain(sent);
    }
    expect(t.syncs()).toBe(0);
  });

  it("the right token runs the pass and serves the status; the scheme is case-insensitive", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/sync`, { method: "POST", headers: { Authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    expect(t.syncs()).toBe(1);
    expect((await fetch(`${t.base}/status`, { headers: AUTH })).status).toBe(200);
  });

  it("/healthz, /readyz, /metrics and the webhook need no token", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.base}/readyz`)).status).toBe(503); // no pass yet: served, not refused
    expect((await fetch(`${t.base}/metrics`)).status).toBe(200);
    expect((await fetch(`${t.base}/hooks/git`, signedPush())).status).toBe(202);
  });
});

describe("agent HTTP endpoints: Host and Origin", () => {
  it.each(["evil.example", "evil.example:9380", "127.0.0.2:9380", "hooks.example.com.evil.example", "[::2]:9380", "a b"])(
    "Host %j is refused with 421 on every endpoint, and nothing runs",
    async (host) => {
      const t = await serve();
      for (const [method, path, extra] of [
        ["GET", "/healthz", {}],
        ["GET", "/metrics", {}],
        ["GET", "/status", AUTH],
        ["POST", "/sync", AUTH],
      ] as const) {
        const res = await raw(t.port, { method, path, headers: { Host: host, ...extra } });
        expect([res.status, path]).toEqual([421, path]);
        expect(JSON.parse(res.body).error).toMatch(/Host header must name this agent .*agent\.allowed_hosts/);
        if (host) expect(res.body).not.toContain(host);
      }
      const hook = signedPush();
      expect((await raw(t.port, { method: "POST", path: "/hooks/git", headers: { ...hook.headers, Host: host }, body: hook.body })).status).toBe(421);
      expect(t.syncs()).toBe(0);
      expect(t.pushes).toEqual([]);
    },
  );

  it("a request without a Host header (HTTP/1.0) is refused with 421", async () => {
    const t = await serve();
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(t.port, "127.0.0.1", () => sock.end("GET /healthz HTTP/1.0\r\n\r\n"));
      let text = "";
      sock.on("data", (c: Buffer) => (text += c.toString("utf8")));
      sock.on("end", () => resolve(text));
      sock.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.[01] 421 /);
  });

  it.each(["127.0.0.1", "127.0.0.1:9380", "localhost", "LOCALHOST.:80", "[::1]:9380", "hooks.example.com", "Hooks.Example.COM:443"])(
    "Host %j is allowed (loopback, or agent.allowed_hosts, any port)",
    async (host) => {
      const t = await serve();
      expect((await raw(t.port, { path: "/healthz", headers: { Host: host } })).status).toBe(200);
      expect((await raw(t.port, { method: "POST", path: "/sync", headers: { Host: host, ...AUTH } })).status).toBe(200);
    },
  );

  it("a webhook arriving through a reverse proxy under an allowed_hosts name triggers", async () => {
    const t = await serve();
    const hook = signedPush();
    const res = await raw(t.port, {
      method: "POST",
      path: "/hooks/git",
      headers: { ...hook.headers, Host: "hooks.example.com", "X-Forwarded-For": "203.0.113.9" },
      body: hook.body,
    });
    expect(res.status).toBe(202);
    expect(t.pushes).toHaveLength(1);
  });

  it.each(["https://evil.example", "http://127.0.0.1.evil.example:9380", "null", "file://", "chrome-extension://abc", "not a url"])(
    "a request with Origin %j is refused with 403 even with the token, and nothing runs",
    async (origin) => {
      const t = await serve();
      const res = await fetch(`${t.base}/sync`, { method: "POST", headers: { ...AUTH, Origin: origin } });
      expect(res.status).toBe(403);
      const text = await res.text();
      expect(JSON.parse(text).error).toMatch(/cross-origin request refused/);
      expect(text).not.toContain(origin);
      expect((await fetch(`${t.base}/hooks/git`, { ...signedPush(), headers: { ...signedPush().headers, Origin: origin } })).status).toBe(403);
      expect(t.syncs()).toBe(0);
      expect(t.pushes).toEqual([]);
    },
  );

  it.each(["http://localhost:3000", "http://127.0.0.1:9380", "http://[::1]", "https://hooks.example.com"])("Origin %j is allowed", async (origin) => {
    const t = await serve();
    expect((await fetch(`${t.base}/sync`, { method: "POST", headers: { ...AUTH, Origin: origin } })).status).toBe(200);
  });
});

describe("agent HTTP endpoints: replayed webhook deliveries", () => {
  it("a delivery id seen before is answered 200 triggered:false and triggers nothing", async () => {
    const t = await serve();
    const first = await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { delivery: "d-1" }));
    expect(first.status).toBe(202);
    const replay = await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { delivery: "d-1" }));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ triggered: false, reason: expect.stringMatching(/^duplicate delivery d-1: already received/) });
    // The same id on another (signed) body is the same delivery too.
    const sameId = await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { delivery: "d-1", after: "c".repeat(40) }));
    expect(await sameId.json()).toMatchObject({ triggered: false });
    expect(t.pushes).toHaveLength(1);
    expect(t.lines.join("")).toContain("webhook replayed; nothing triggered");
  });

  it("a replay with a fresh id, or none, is caught by its body (the id is not signed)", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { delivery: "d-1" }))).status).toBe(202);
    const freshId = await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { delivery: "d-2" }));
    expect(await freshId.json()).toEqual({ triggered: false, reason: expect.stringMatching(/^duplicate delivery: the same signed body/) });
    const noId = await fetch(`${t.base}/hooks/git`, signedPush());
    expect(noId.status).toBe(200);
    expect(t.pushes).toHaveLength(1);
  });

  it("verified deliveries without an id are accepted, each new push once", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { after: "1".repeat(40) }))).status).toBe(202);
    expect((await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { after: "2".repeat(40) }))).status).toBe(202);
    expect(t.pushes).toHaveLength(2);
  });

  it("only verified deliveries are remembered: a forged one cannot burn a real delivery's id", async () => {
    const t = await serve();
    expect((await fetch(`${t.base}/hooks/git`, signedPush("main", "wrong-secret", { delivery: "d-9" }))).status).toBe(401);
    expect((await fetch(`${t.base}/hooks/git`, signedPush("main", SECRET, { delivery: "d-9" }))).status).toBe(202);
    expect(t.pushes).toHaveLength(1);
  });
});
