/**
 * Who may talk to the agent's HTTP listener. Pure: headers in, a refusal (or none) out.
 *
 *  - Host: every request must name the agent by a loopback address (127.0.0.1, [::1], localhost),
 *    the specific address it listens on, or a name in `agent.allowed_hosts` (any port). Anything
 *    else is 421 Misdirected Request: a web page that re-points its own DNS name at 127.0.0.1
 *    (DNS rebinding) still sends its own name as the Host and is refused.
 *  - Origin: a request that carries one (browsers do, on every cross-origin POST) must come from a
 *    host allowed the same way; anything else, `null` included, is 403 (CSRF). Forges and curl send
 *    no Origin.
 *  - Credential: endpoints that change anything or reveal paths require
 *    `Authorization: Bearer <token>` (control-token.ts); missing or wrong is 401.
 * Refusals never echo what was sent; the log gets a cleaned, truncated Host for the operator.
 */
import { normalizeHostName } from "../config/agent-section.js";
import { CONFIG_DEFAULTS } from "../config/defaults.js";
import { bearerMatches } from "./control-token.js";

export interface AccessSettings {
  /** The control token of this run of the agent. */
  token: string;
  /** `agent.allowed_hosts`: further names the agent answers to (a reverse proxy's public name). */
  allowedHosts: readonly string[];
  /** The address the server listens on; a specific one (not 0.0.0.0 or ::) is a name it answers to. */
  listenHost: string;
}

export interface Refusal {
  status: 401 | 403 | 421;
  /** For the client: what to do, never what it sent. */
  error: string;
  /** For the log. */
  reason: string;
  headers?: Record<string, string>;
}

type Headers = Record<string, string | string[] | undefined>;

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"] as const;
const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", ""]);
const HOST_HEADER = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@?#]+))(?::\d{1,5})?$/;

/** The Host or Origin check failed: 421 or 403. Undefined when the request may go on. */
export function refuseMisdirected(headers: Headers, access: AccessSettings): Refusal | undefined {
  const host = hostName(single(headers["host"]));
  if (host === undefined || !isAllowedHost(host, access)) {
    return {
      status: 421,
      error:
        "misdirected request: the Host header must name this agent by a loopback address (127.0.0.1, [::1], localhost) or a name listed in agent.allowed_hosts",
      reason: `Host ${printable(single(headers["host"]) ?? "(none)")} is not allowed`,
    };
  }
  const origin = headers["origin"];
  if (origin === undefined) return undefined;
  const originHost = originHostName(single(origin));
  if (originHost === undefined || !isAllowedHost(originHost, access)) {
    return {
      status: 403,
      error: "cross-origin request refused: the Origin must be a loopback address or a name listed in agent.allowed_hosts",
      reason: `Origin ${printable(single(origin) ?? "(repeated)")} is not allowed`,
    };
  }
  return undefined;
}

/** The bearer token is missing or wrong: 401 saying how to authenticate. */
export function refuseUnauthenticated(headers: Headers, access: AccessSettings): Refusal | undefined {
  if (bearerMatches(headers["authorization"], access.token)) return undefined;
  const missing = headers["authorization"] === undefined;
  return {
    status: 401,
    headers: { "WWW-Authenticate": 'Bearer realm="gitdock"' },
    error:
      `${missing ? "authentication required" : "the credential is not this agent's"}: send "Authorization: Bearer <token>" with the token from agent.token in the agent's ` +
      `state directory (default ${CONFIG_DEFAULTS.state_dir}/agent.token, readable by root only; the agent writes a new one at every start). ` +
      "gitdock sync --now and gitdock status send it themselves.",
    reason: missing ? "no Authorization header" : "wrong or malformed bearer token",
  };
}

/** The name part of a Host header, lower case, without port, brackets or a trailing dot. */
export function hostName(header: string | undefined): string | undefined {
  const m = header === undefined ? null : HOST_HEADER.exec(header.trim());
  if (!m) return undefined;
  return normalizeHostName(m[1] ?? m[2] ?? "");
}

export function isAllowedHost(name: string, access: AccessSettings): boolean {
  const n = normalizeHostName(name);
  if (n === "") return false;
  if ((LOOPBACK_NAMES as readonly string[]).includes(n)) return true;
  const listen = normalizeHostName(access.listenHost);
  if (!WILDCARD_ADDRESSES.has(listen) && n === listen) return true;
  return access.allowedHosts.some((h) => normalizeHostName(h) === n);
}

function originHostName(origin: string | undefined): string | undefined {
  if (origin === undefined || origin === "null") return undefined;
  try {
    const url = new URL(origin);
    return url.protocol === "http:" || url.protocol === "https:" ? normalizeHostName(url.hostname) : undefined;
  } catch {
    return undefined;
  }
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
}

/** Header text safe for a log line: printable, at most 100 characters. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
