import { createHmac } from "node:crypto";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentStatus, PassRecord } from "../../src/agent/agent-status.js";
import { createRequestHandler, startHttpServer, type HttpDeps, type RunningServer } from "../../src/agent/http-server.js";
import type { PassOutcome } from "../../src/agent/pass-scheduler.js";

const SECRET = "s3cret-for-http-tests";

function baseStatus(over: Partial<AgentStatus> = {}): AgentStatus {
  return {
    pid: 1, hostId: "h1", stateDir: "/var/lib/gitdock", listen: "127.0.0.1:0", startedAt: "2026-01-01T00:00:00.000Z",
    phase: "idle", pending: false, lastPass: undefined, lastSuccessAt: undefined, consecutiveErrors: 0, nextPollAt: undefined,
    waitingCommit: undefined, windows: undefined, suppressedRepairs: [], ...over,
  };
}

function pass(over: Partial<PassRecord> = {}): PassRecord {
  return {
    number: 1, startedAt: "t0", finishedAt: "t1", triggers: "manual", result: "ok",
    summary: { outcome: "synced", target: "a".repeat(40), commit: "a".repeat(40), changed: 0, reason: undefined, conflicts: [] },
    error: undefined, ...over,
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
  let status = baseStatus();
  const deps: HttpDeps = {
    log,
    status: () => status,
    statusReport: async () => ({ hostId: "h1", stacks: [] }),
    metrics: async () => ({ contentType: "text/plain; version=0.0.4", body: "gitdock_reconciles_total 1\n" }),
    webhookOptions: () => ({ secret: Buffer.from(SECRET), branch: "main", maxBodyBytes: 4096 }),
    onPush: (p) => void pushes.push(p),
    sync: async (): Promise<PassOutcome<PassRecord>> => ({ ok: true, value: pass() }),
    ...over,
  };
  const server = await startHttpServer({ host: "127.0.0.1", port: 0 }, createRequestHandler(deps));
  servers.push(server);
  const base = `http://127.0.0.1:${server.address.port}`;
  return { base, lines, pushes, setStatus: (s: AgentStatus) => (status = s) };
}

function signedPush(branch = "main", secret = SECRET) {
  const body = JSON.stringify({ ref: `refs/heads/${branch}`, after: "b".repeat(40), token: "do-not-log-me" });
  const sig = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return { method: "POST", body, headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": sig } };
}

describe("agent HTTP endpoints", () => {
  it("/healthz answers 200 while alive and 503 once stopping, naming the host and state dir", async () => {
    const t = await serve();
    const ok = await fetch(`${t.base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "ok", hostId: "h1", stateDir: "/var/lib/gitdock" });
    t.setStatus(baseStatus({ phase: "stopping" }));
    expect((await fetch(`${t.base}/healthz`)).status).toBe(503);
  });

  it.each([
    ["before any pass", undefined, 503, "no reconcile has finished yet"],
    ["after an ok pass", pass(), 200, undefined],
    ["while a commit waits for a window", pass({ result: "waiting" }), 200, undefined],
    ["after a rollback", pass({ result: "rolled_back", summary: { ...pass().summary!, outcome: "rolled-back" } }), 503, "last reconcile: rolled-back"],
    ["after a failed pass", pass({ result: "error", summary: undefined, error: { code: "GITDOCK_E_SOURCE_UNAVAILABLE", handling: "retry", message: "git down\nmore", hint: undefined } }), 503, "git down"],
  ])("/readyz %s", async (_name, lastPass, code, reason) => {
    const t = await serve();
    t.setStatus(baseStatus({ lastPass }));
    const res = await fetch(`${t.base}/readyz`);
    expect(res.status).toBe(code);
    const body = await res.json();
    expect(body.ready).toBe(code === 200);
    if (reason) expect(body.reason).toBe(reason);
  });

  it("/status is the status report with the agent's own state under `agent`; 503 when it cannot be built", async () => {
    const t = await serve();
    expect(await (await fetch(`${t.base}/status`)).json()).toMatchObject({ hostId: "h1", stacks: [], agent: { pid: 1, phase: "idle" } });
    const broken = await serve({ statusReport: async () => Promise.reject(new Error("engine unreachable")) });
    const res = await fetch(`${broken.base}/status`);
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
    delete (unsigned.headers as Record<string, string>)["X-Hub-Signature-256"];
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
    const r1 = await fetch(`${ok.base}/sync`, { method: "POST" });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toMatchObject({ ok: true, pass: { number: 1, summary: { outcome: "synced" } } });

    const error = { code: "GITDOCK_E_PULL_FAILED", handling: "retry", message: "could not pull", hint: "check the registry" };
    const failed = await serve({ sync: async () => ({ ok: true, value: pass({ result: "error", summary: undefined, error }) }) });
    const r2 = await fetch(`${failed.base}/sync`, { method: "POST" });
    expect(r2.status).toBe(500);
    expect(await r2.json()).toMatchObject({ ok: false, pass: { error } });

    const stopping = await serve({ sync: async () => ({ ok: false, error: new Error("shutting down"), cancelled: true }) });
    const r3 = await fetch(`${stopping.base}/sync`, { method: "POST" });
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
