import { RegistryLookupError } from "../errors.js";
import { describeAnswer } from "./registry-answer.js";
import { registryBaseUrl, isLoopbackHost } from "./registry-endpoint.js";
import { NoHttpAnswer, sendHttp, type HttpResponse } from "./registry-http.js";
import { parseAuthChallenge, type AuthChallenge } from "./www-authenticate.js";

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryTransport {
  /** Extra CA certificates for HTTPS registries and token services. */
  ca?: string | Buffer;
  /** Per HTTP request; default 30 s. */
  timeoutMs?: number;
}

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Read access to one registry's API, authenticated as Docker does it: the request is sent; on a
 * `401` the `WWW-Authenticate` challenge says how to authenticate — `Bearer` (the token flow:
 * ask the realm for a token for the scope, anonymously or with the `docker login` credentials as
 * Basic auth) or `Basic` (send the credentials to the registry itself) — and the request is sent
 * once more. Tokens are kept per scope for the life of the session.
 */
export class RegistrySession {
  private readonly base: URL;
  private readonly tokens = new Map<string, string>();
  private useBasic = false;

  constructor(
    readonly registry: string,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly transport: RegistryTransport = {},
  ) {
    this.base = registryBaseUrl(registry);
  }

  /** `path` below the registry's base URL (`/v2/...`); `scope` as the token flow names it. */
  async request(path: string, opts: { method: "GET" | "HEAD"; accept: string; scope: string }): Promise<HttpResponse> {
    const url = new URL(path, this.base);
    const first = await this.send(url, opts);
    if (first.status !== 401) return first;
    const challenge = parseAuthChallenge(String(first.headers["www-authenticate"] ?? ""));
    if (!(await this.authenticate(challenge, opts.scope, first))) return first;
    return this.send(url, opts);
  }

  /**
   * Where a registry redirects a blob GET (object storage, a CDN): a plain GET of `location`,
   * without the registry's credentials or token (the URL itself is the grant). Only https, or
   * http on the loopback interface.
   */
  async followRedirect(location: string, accept: string): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(location, this.base);
    } catch {
      throw new RegistryLookupError(`registry ${this.registry} redirected to an unreadable location`, { data: { registry: this.registry } });
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.host))) {
      throw new RegistryLookupError(
        `registry ${this.registry} redirected a download to ${url.protocol}//${url.host}, which is neither https nor the loopback interface`,
        {
          data: { registry: this.registry },
        },
      );
    }
    return this.exchange(
      url,
      { method: "GET", headers: { Accept: accept, "User-Agent": "gitdock" } },
      `the download location ${url.host} of registry ${this.registry}`,
    );
  }

  /** Whether a retry can carry something the first attempt did not. */
  private async authenticate(challenge: AuthChallenge | undefined, scope: string, refused: HttpResponse): Promise<boolean> {
    if (challenge?.scheme === "bearer") {
      if (this.tokens.has(scope)) return false; // the token we sent was refused: asking again gives the same one
      this.tokens.set(scope, await this.fetchToken(challenge, scope));
      return true;
    }
    if (challenge?.scheme === "basic") {
      // Without credentials, or with ones already refused, the 401 is the answer.
      if (!this.credentials || this.useBasic) return false;
      this.useBasic = true;
      return true;
    }
    const { text } = describeAnswer(refused);
    throw new RegistryLookupError(`registry ${this.registry} asks for an authentication gitdock does not speak (${text})`, {
      data: { registry: this.registry, status: refused.status },
    });
  }

  private async send(url: URL, opts: { method: "GET" | "HEAD"; accept: string; scope: string }): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: opts.accept, "User-Agent": "gitdock" };
    const token = this.tokens.get(opts.scope);
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (this.useBasic && this.credentials) headers.Authorization = basicAuthorization(this.credentials);
    return this.exchange(url, { method: opts.method, headers }, `registry ${this.registry}`);
  }

  /**
   * The token flow: GET realm?service=...&scope=..., with the credentials as Basic auth when there
   * are some; the answer is `{"token": ...}` (or `access_token`). A realm in plain HTTP is accepted
   * only on the loopback interface, so credentials never cross a network in the clear.
   */
  private async fetchToken(challenge: AuthChallenge, scope: string): Promise<string> {
    const realm = parseRealm(challenge.params.realm, this.registry);
    if (challenge.params.service !== undefined) realm.searchParams.set("service", challenge.params.service);
    realm.searchParams.set("scope", scope);
    // Docker names the account too; some token services pick the user's grants by it.
    if (this.credentials) realm.searchParams.set("account", this.credentials.username);
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": "gitdock" };
    if (this.credentials) headers.Authorization = basicAuthorization(this.credentials);
    const where = `the token service ${realm.host} of registry ${this.registry}`;
    const res = await this.exchange(realm, { method: "GET", headers }, where);
    if (res.status !== 200) {
      const { text, code } = describeAnswer(res);
      const who = this.credentials ? `refused the credentials for ${this.registry}` : `gave no anonymous token for ${scope}`;
      throw new RegistryLookupError(`${where} ${who} (${text})`, { data: { registry: this.registry, status: res.status, code } });
    }
    const token = tokenOf(res.body);
    if (!token) throw new RegistryLookupError(`${where} answered without a token`, { data: { registry: this.registry, status: res.status } });
    return token;
  }

  private async exchange(url: URL, req: { method: "GET" | "HEAD"; headers: Record<string, string> }, where: string): Promise<HttpResponse> {
    try {
      return await sendHttp(url, {
        ...req,
        timeoutMs: this.transport.timeoutMs ?? 30_000,
        maxBytes: MAX_ANSWER_BYTES,
        ...(this.transport.ca ? { ca: this.transport.ca } : {}),
      });
    } catch (err) {
      if (!(err instanceof NoHttpAnswer)) throw err;
      throw new RegistryLookupError(`cannot reach ${where} at ${url.origin}: ${err.message}`, {
        data: { registry: this.registry, url: url.origin },
      });
    }
  }
}

function basicAuthorization(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

function parseRealm(realm: string | undefined, registry: string): URL {
  let url: URL | undefined;
  try {
    url = realm ? new URL(realm) : undefined;
  } catch {
    url = undefined;
  }
  const plainOffLoopback = url?.protocol === "http:" && !isLoopbackHost(url.host);
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || plainOffLoopback) {
    throw new RegistryLookupError(
      `registry ${registry} names a token service gitdock will not use (${realm === undefined ? "no realm" : `realm ${JSON.stringify(realm)}`}): it must be an https:// URL, or http:// on the loopback interface`,
      { data: { registry } },
    );
  }
  return url;
}

function tokenOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { token?: unknown; access_token?: unknown };
    const token = typeof parsed.token === "string" && parsed.token ? parsed.token : parsed.access_token;
    return typeof token === "string" && token && !/[\r\n]/.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}
