/**
 * A real HTTP receiver standing in for a chat or push service (Slack, Discord, Teams, ntfy, a
 * webhook): it keeps every request (path, headers, body) and answers as the test says, which may
 * wait (a receiver that hangs) or fail (500, 429 with Retry-After).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export interface NotifyReceiver {
  /** http://127.0.0.1:<port>, without a trailing slash. */
  root: string;
  received: ReceivedRequest[];
  /** Resolves once `n` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** `answer(n)` for the n-th request (from 1); by default 200. */
export async function startNotifyReceiver(answer: (n: number) => Answer | Promise<Answer> = () => ({ status: 200 })): Promise<NotifyReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      for (const wake of waiters.splice(0)) wake();
      void Promise.resolve(answer(received.length)).then((a) => res.writeHead(a.status, a.headers).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    async waitForRequests(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the receiver got ${received.length} requests, not ${n}, within ${timeoutMs} ms`);
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, left);
          waiters.push(() => (clearTimeout(timer), wake()));
        });
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
