/**
 * Second and third registries for `gitdock pin`'s end-to-end test, each the real Debian
 * `docker-registry` (the same program as the shared one on 127.0.0.1:5000), started on a free port
 * and stopped by its pid:
 *  - Basic auth (htpasswd, bcrypt from python3's crypt module) on 127.0.0.1, plain HTTP;
 *  - token auth over HTTPS on this machine's first non-loopback address, with a small token
 *    service of the test's own (on 127.0.0.1 unless asked otherwise) issuing the JWTs the registry
 *    verifies (the flow Docker Hub, GHCR and most private registries use).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createPrivateKey, randomBytes, sign, X509Certificate } from "node:crypto";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer as createNetServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { waitFor } from "../../support/docker.js";
import type { RegistryTarget } from "./registry-push.js";

const run = promisify(execFile);

export interface TestRegistry {
  /** `host:port` as written in image references. */
  host: string;
  /** For pushes through the registry API, authorized. */
  target: RegistryTarget;
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Any HTTP answer at all from /v2/ (401 included) means the registry is up. */
function answers(url: string, ca?: Buffer): Promise<boolean> {
  const send = url.startsWith("https:") ? httpsRequest : request;
  return new Promise((resolve) => {
    const req = send(url, { method: "GET", ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(true);
    });
    req.setTimeout(2_000, () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function startRegistryProcess(dir: string, config: string, base: string, ca?: Buffer): Promise<ChildProcess> {
  const configFile = path.join(dir, "registry.yml");
  await writeFile(configFile, config);
  const log = await open(path.join(dir, "registry.log"), "a");
  const child = spawn("docker-registry", ["serve", configFile], { stdio: ["ignore", log.fd, log.fd] });
  await log.close();
  try {
    await waitFor(async () => child.exitCode === null && (await answers(`${base}/v2/`, ca)), { what: `docker-registry at ${base}`, timeoutMs: 20_000 });
  } catch (err) {
    child.kill("SIGKILL");
    const text = await readFile(path.join(dir, "registry.log"), "utf8").catch(() => "");
    throw new Error(`${(err as Error).message}\n${text.slice(-2000)}`, { cause: err });
  }
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function registryConfig(dir: string, addr: string, extra: string): string {
  return [
    "version: 0.1",
    "log: { level: warn }",
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, "storage"))} }, delete: { enabled: true } }`,
    "http:",
    `  addr: ${JSON.stringify(addr)}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
    extra,
    "",
  ].join("\n");
}

/** A registry on 127.0.0.1 that wants `user`/`password` as Basic auth for everything. */
export async function startBasicAuthRegistry(user: string, password: string): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-pin-basic-"));
  const { stdout: hash } = await bcrypt(password);
  await writeFile(path.join(dir, "htpasswd"), `${user}:${hash.trim()}\n`);
  const port = await freePort("127.0.0.1");
  const host = `127.0.0.1:${port}`;
  const auth = `  htpasswd: { realm: gdt-pin-basic, path: ${JSON.stringify(path.join(dir, "htpasswd"))} }`;
  const child = await startRegistryProcess(dir, registryConfig(dir, host, `auth:\n${auth}`), `http://${host}`);
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return {
    host,
    target: { base: `http://${host}`, authorization: () => basic },
    stop: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** bcrypt, which docker-registry's htpasswd wants: Node has none built in; python3's crypt module does (glibc/libxcrypt). */
async function bcrypt(password: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "python3",
      ["-W", "ignore", "-c", "import crypt, sys; print(crypt.crypt(sys.stdin.readline().rstrip('\\n'), crypt.mksalt(crypt.METHOD_BLOWFISH)))"],
      (err, stdout, stderr) => (err ? reject(new Error(`python3 crypt (bcrypt for htpasswd) failed: ${stderr || err.message}`)) : resolve({ stdout })),
    );
    child.stdin?.end(`${password}\n`);
  });
}

export interface TokenRequest {
  /** The user of the Basic credentials sent, or undefined for an anonymous request. */
  user: string | undefined;
  scope: string | null;
  service: string | null;
}

export interface TokenRegistry extends TestRegistry {
  /** The CA (the registry's self-signed certificate) for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** Every request the token service answered, in order. */
  tokenRequests: TokenRequest[];
}

/** This machine's first IPv4 address that is not loopback: a registry there is spoken to over HTTPS. */
export function nonLoopbackAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address to serve the HTTPS test registry on (Docker's bridge gives one)");
}

/**
 * A registry with token auth over HTTPS, and its token service. Anonymous requests get pull access
 * to repositories under `publicPrefix`; `user`/`password` get everything; wrong credentials get a
 * 401 from the token service.
 */
export async function startTokenAuthRegistry(opts: {
  user: string;
  password: string;
  publicPrefix: string;
  /** Where the token service listens (its realm is plain http there); default 127.0.0.1. */
  tokenServiceAddress?: string;
}): Promise<TokenRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-pin-token-"));
  const ip = nonLoopbackAddress();
  const [certFile, keyFile] = [path.join(dir, "cert.pem"), path.join(dir, "key.pem")];
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "1",
    "-subj",
    "/CN=gdt-pin-registry",
    "-addext",
    `subjectAltName=IP:${ip}`,
  ]);
  const cert = await readFile(certFile);
  const key = createPrivateKey(await readFile(keyFile));
  const x5c = new X509Certificate(cert).raw.toString("base64");
  const mint = (subject: string, access: { type: string; name: string; actions: string[] }[]) => jwt({ x5c, key, subject, access });
  const tokenRequests: TokenRequest[] = [];
  const tokens = await startTokenService(opts, tokenRequests, mint, opts.tokenServiceAddress ?? "127.0.0.1");
  const port = await freePort(ip);
  const host = `${ip}:${port}`;
  const extra = [
    `  tls: { certificate: ${JSON.stringify(certFile)}, key: ${JSON.stringify(keyFile)} }`,
    "auth:",
    `  token: { realm: ${JSON.stringify(`${tokens.url}/token`)}, service: gdt-pin-registry, issuer: gdt-pin-tokens, rootcertbundle: ${JSON.stringify(certFile)} }`,
  ].join("\n");
  let child: ChildProcess;
  try {
    child = await startRegistryProcess(dir, registryConfig(dir, host, extra), `https://${host}`, cert);
  } catch (err) {
    await new Promise((resolve) => tokens.server.close(resolve));
    throw err;
  }
  // Pushes in the test carry a token for the repository, minted here directly.
  const pushToken = (repo: string) => `Bearer ${mint(opts.user, [{ type: "repository", name: repo, actions: ["pull", "push", "delete"] }])}`;
  return {
    host,
    caFile: certFile,
    tokenRequests,
    target: { base: `https://${host}`, ca: cert, authorization: pushToken },
    stop: async () => {
      await stopProcess(child);
      await new Promise((resolve) => tokens.server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type Mint = (subject: string, access: { type: string; name: string; actions: string[] }[]) => string;

async function startTokenService(
  opts: { user: string; password: string; publicPrefix: string },
  log: TokenRequest[],
  mint: Mint,
  address: string,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://token.invalid");
    const header = req.headers.authorization ?? "";
    const [user, password] = header.startsWith("Basic ") ? Buffer.from(header.slice(6), "base64").toString("utf8").split(/:(.*)/s) : [];
    log.push({ user, scope: url.searchParams.get("scope"), service: url.searchParams.get("service") });
    if (user !== undefined && (user !== opts.user || password !== opts.password)) {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "invalid username or password" }] }));
      return;
    }
    const access = [];
    const [type, name, actions] = (url.searchParams.get("scope") ?? "").split(":");
    if (type === "repository" && name) {
      const allowed = user !== undefined ? (actions ?? "").split(",") : name.startsWith(opts.publicPrefix) ? ["pull"] : [];
      access.push({ type, name, actions: allowed });
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ token: mint(user ?? "", access), expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://${address}:${port}` };
}

/** A registry token (distribution's JWT): RS256, the signing certificate in `x5c`, the access claim. */
function jwt(opts: { x5c: string; key: ReturnType<typeof createPrivateKey>; subject: string; access: unknown[] }): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${b64({ typ: "JWT", alg: "RS256", x5c: [opts.x5c] })}.${b64({
    iss: "gdt-pin-tokens",
    sub: opts.subject,
    aud: "gdt-pin-registry",
    exp: now + 300,
    nbf: now - 30,
    iat: now,
    jti: randomBytes(8).toString("hex"),
    access: opts.access,
  })}`;
  return `${input}.${sign("sha256", Buffer.from(input), opts.key).toString("base64url")}`;
}
