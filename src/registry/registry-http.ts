import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpOptions {
  method: "GET" | "HEAD";
  headers: Record<string, string>;
  /** Extra CA certificates for HTTPS (tests; users set NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer;
  timeoutMs: number;
  /** Larger answers are refused: a manifest or a token is a few KiB. */
  maxBytes: number;
}

/** Thrown when there is no HTTP answer at all (connection refused, TLS, timeout, too large). */
export class NoHttpAnswer extends Error {}

/**
 * One HTTP exchange, without following redirects (a registry that redirects a manifest or a token
 * request is answered with its status, so credentials never travel to a host nobody named).
 */
export function sendHttp(url: URL, opts: HttpOptions): Promise<HttpResponse> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: opts.method, headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) {
          req.destroy(new NoHttpAnswer(`the answer is larger than ${opts.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", (err) => reject(err instanceof NoHttpAnswer ? err : new NoHttpAnswer(err.message)));
    });
    req.setTimeout(opts.timeoutMs, () => req.destroy(new NoHttpAnswer(`no answer within ${opts.timeoutMs / 1000}s`)));
    req.on("error", (err) => reject(err instanceof NoHttpAnswer ? err : new NoHttpAnswer(describeNetworkError(err))));
    req.end();
  });
}

function describeNetworkError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
