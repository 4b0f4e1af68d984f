/**
 * A real smart-HTTP Git server for end-to-end tests: a `node:http` server on 127.0.0.1 that runs
 * `git http-backend` as a CGI program per request. Supports a "down" switch (503 to everything)
 * and an optional basic-auth requirement, so tests can simulate an unreachable or protected remote.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface GitServerAuth {
  user: string;
  password: string;
}

export interface GitServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`; a repository `<root>/x.git` is at `${url}/x.git`. */
  url: string;
  /** The GIT_PROJECT_ROOT the server exports. */
  root: string;
  /** When true, every request is answered 503 (simulates the Git server being down). */
  setDown(down: boolean): void;
  /** Require HTTP basic auth with these credentials (401 + WWW-Authenticate otherwise); `null` turns it off. */
  requireAuth(auth: GitServerAuth | null): void;
  /** Number of requests received so far (including refused ones). */
  requestCount(): number;
  close(): Promise<void>;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(", ") : v;
}

function checkAuth(req: http.IncomingMessage, auth: GitServerAuth): string | null {
  const h = header(req, "authorization");
  if (!h || !/^basic /i.test(h)) return null;
  const decoded = Buffer.from(h.slice(6).trim(), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  const user = decoded.slice(0, i);
  const password = decoded.slice(i + 1);
  return user === auth.user && password === auth.password ? user : null;
}

export async function startGitServer(root: string): Promise<GitServer> {
  let down = false;
  let auth: GitServerAuth | null = null;
  let requests = 0;
  const children = new Set<ReturnType<typeof spawn>>();

  const server = http.createServer((req, res) => {
    requests++;
    if (down) {
      req.resume();
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end("git server is down (test switch)\n");
      return;
    }
    let remoteUser = "";
    if (auth) {
      const user = checkAuth(req, auth);
      if (user === null) {
        req.resume();
        res.writeHead(401, {
          "Content-Type": "text/plain",
          "WWW-Authenticate": 'Basic realm="gitdock-test"',
        });
        res.end("authentication required\n");
        return;
      }
      remoteUser = user;
    }

    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      GATEWAY_INTERFACE: "CGI/1.1",
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      SERVER_SOFTWARE: "gitdock-test-git-server",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.startsWith("?") ? url.search.slice(1) : url.search,
      REQUEST_METHOD: req.method ?? "GET",
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      REMOTE_USER: remoteUser,
      CONTENT_TYPE: header(req, "content-type") ?? "",
    };
    if (!remoteUser) delete env.REMOTE_USER;
    const contentLength = header(req, "content-length");
    if (contentLength !== undefined) env.CONTENT_LENGTH = contentLength;
    const encoding = header(req, "content-encoding");
    if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
    const protocol = header(req, "git-protocol");
    if (protocol !== undefined) env.HTTP_GIT_PROTOCOL = protocol;

    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    children.add(child);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", (err) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`cannot run git http-backend: ${err.message}\n`);
      } else res.destroy(err);
    });
    child.stdin.on("error", () => {
      /* the backend may exit before reading the whole body; its answer still goes out */
    });
    req.pipe(child.stdin);

    // Parse CGI headers (up to the first blank line), then stream the rest.
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf("\r\n\r\n");
      let sepLen = 4;
      const lf = head.indexOf("\n\n");
      if (lf >= 0 && (end < 0 || lf < end)) {
        end = lf;
        sepLen = 2;
      }
      if (end < 0) return;
      headersDone = true;
      const headerText = head.subarray(0, end).toString("latin1");
      const rest = head.subarray(end + sepLen);
      let status = 200;
      let statusText: string | undefined;
      const headers: Record<string, string | string[]> = {};
      for (const line of headerText.split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i <= 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") {
          const m = /^(\d{3})\s*(.*)$/.exec(value);
          if (m) {
            status = Number(m[1]);
            statusText = m[2] || undefined;
          }
          continue;
        }
        const prev = headers[name];
        if (prev === undefined) headers[name] = value;
        else headers[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      if (statusText) res.writeHead(status, statusText, headers);
      else res.writeHead(status, headers);
      if (rest.length > 0) res.write(rest);
    });
    child.on("close", (code) => {
      children.delete(child);
      if (!headersDone) {
        if (!res.headersSent) {
          res.writeHead(500, { "Content-Type": "text/plain" });
          res.end(`git http-backend exited ${code} without headers: ${stderr}\n`);
        } else res.end();
        return;
      }
      res.end();
    });
    res.on("close", () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    root,
    setDown(value: boolean) {
      down = value;
    },
    requireAuth(value: GitServerAuth | null) {
      auth = value;
    },
    requestCount() {
      return requests;
    },
    async close() {
      for (const c of children) c.kill("SIGKILL");
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
