import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProbe } from "../../src/health/probe.js";

let server: http.Server;
let port: number;
let closedPort: number;
let seenPaths: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seenPaths.push(req.url ?? "");
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") return void res.end("ok");
    if (path === "/broken") {
      res.statusCode = 500;
      return void res.end("nope");
    }
    if (path === "/slow") return; // never answers
    if (path === "/big") {
      res.statusCode = 200;
      res.write("x".repeat(64 * 1024));
      return; // never ends the body: the probe must not wait for it
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  // A port that was just free: bind, read it, close.
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, "127.0.0.1", r));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const http200 = (path: string, expectStatus = 200) => ({ kind: "http" as const, port: 0, path, expectStatus });

describe("runProbe http", () => {
  it("passes on the expected status", async () => {
    expect(await runProbe(http200("/healthz"), { host: "127.0.0.1", port }, 2_000)).toEqual({
      ok: true,
      detail: "http 200 on /healthz",
    });
  });

  it("fails on another status and names it", async () => {
    const r = await runProbe(http200("/broken"), { host: "127.0.0.1", port }, 2_000);
    expect(r).toEqual({ ok: false, detail: "http 500 on /broken (expected 200)" });
  });

  it("honours a non-200 expected status", async () => {
    const r = await runProbe(http200("/missing", 404), { host: "127.0.0.1", port }, 2_000);
    expect(r).toEqual({ ok: true, detail: "http 404 on /missing" });
  });

  it("sends the query string but never shows it", async () => {
    seenPaths = [];
    const r = await runProbe(http200("/healthz?token=s3cret"), { host: "127.0.0.1", port }, 2_000);
    expect(r.detail).toBe("http 200 on /healthz");
    expect(seenPaths).toEqual(["/healthz?token=s3cret"]);
  });

  it("reports a refused connection by its code", async () => {
    const r = await runProbe(http200("/healthz"), { host: "127.0.0.1", port: closedPort }, 2_000);
    expect(r).toEqual({ ok: false, detail: "http GET /healthz: ECONNREFUSED" });
  });

  it("gives up on a server that does not answer within the timeout", async () => {
    const r = await runProbe(http200("/slow"), { host: "127.0.0.1", port }, 200);
    expect(r).toEqual({ ok: false, detail: "http GET /slow: no answer within 200ms" });
  });

  it("decides on the status without waiting for the body", async () => {
    const r = await runProbe(http200("/big"), { host: "127.0.0.1", port }, 2_000);
    expect(r.ok).toBe(true);
  });
});

describe("runProbe http: what the container answers is not shown", () => {
  const PLANTED = "planted-probe-answer";
  /** A raw TCP server that writes `answer` to every connection and closes it. */
  async function rawServer(answer: string): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const raw = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.end(answer);
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    const close = () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => raw.close(() => r()));
    };
    return { port: (raw.address() as AddressInfo).port, close };
  }

  it("names the status code only: never the status text, headers or body", async () => {
    const raw = await rawServer(`HTTP/1.1 503 ${PLANTED}\r\nX-Leak: ${PLANTED}\r\nContent-Length: ${PLANTED.length}\r\n\r\n${PLANTED}`);
    try {
      const r = await runProbe(http200("/healthz"), { host: "127.0.0.1", port: raw.port }, 2_000);
      expect(r).toEqual({ ok: false, detail: "http 503 on /healthz (expected 200)" });
    } finally {
      await raw.close();
    }
  });

  it("names an unparsable answer by its error code, not the bytes it choked on", async () => {
    const raw = await rawServer(`${PLANTED} is not HTTP\r\n\r\n`);
    try {
      const r = await runProbe(http200("/healthz"), { host: "127.0.0.1", port: raw.port }, 2_000);
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/^http GET \/healthz: [A-Z][A-Z0-9_]+$/);
      expect(r.detail).not.toContain(PLANTED);
    } finally {
      await raw.close();
    }
  });
});

describe("runProbe tcp", () => {
  it("passes when the connection is accepted", async () => {
    const r = await runProbe({ kind: "tcp", port: 0 }, { host: "127.0.0.1", port }, 2_000);
    expect(r).toEqual({ ok: true, detail: `tcp 127.0.0.1:${port}: connected` });
  });

  it("fails on a closed port with the address and code", async () => {
    const r = await runProbe({ kind: "tcp", port: 0 }, { host: "127.0.0.1", port: closedPort }, 2_000);
    expect(r).toEqual({ ok: false, detail: `tcp 127.0.0.1:${closedPort}: ECONNREFUSED` });
  });
});
