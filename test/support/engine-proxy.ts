/**
 * A real HTTP proxy in front of the Engine's socket that can fail chosen calls: how the tests make
 * the Engine answer an error in the middle of a rollout. Everything else is passed through
 * untouched, streams (the event stream) included.
 */
import http from "node:http";
import { rm } from "node:fs/promises";

export interface EngineProxy {
  /** `unix:///...`, for --docker-host. */
  dockerHost: string;
  /** Requests answered with an injected error so far. */
  injected(): { method: string; url: string; status: number }[];
  close(): Promise<void>;
}

/** `fail` returns the HTTP status to answer with instead of the Engine, or undefined to pass the request on. */
export async function startEngineProxy(socket: string, fail: (req: http.IncomingMessage) => number | undefined): Promise<EngineProxy> {
  const injected: { method: string; url: string; status: number }[] = [];
  const server = http.createServer((req, res) => {
    const status = fail(req);
    if (status !== undefined) {
      injected.push({ method: req.method ?? "", url: req.url ?? "", status });
      req.resume();
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "error injected by the test's Engine proxy" }));
      return;
    }
    const upstream = http.request({ socketPath: "/var/run/docker.sock", path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // Node holds headers back until the first body byte; the Engine sends the event stream's at once.
      res.flushHeaders();
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await rm(socket, { force: true });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    dockerHost: `unix://${socket}`,
    injected: () => injected,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(socket, { force: true });
    },
  };
}
