/**
 * Verification of push webhooks from GitHub, Gitea/Forgejo and GitLab. Pure: the HTTP layer
 * reads the body (with `readLimitedBody`), calls `verifyWebhook` and maps the result to a status.
 *
 * Rules, in order:
 *  1. A body over the limit is refused (413) before anything else looks at it.
 *  2. The signature (or GitLab token) is verified on the raw bytes BEFORE the body is parsed:
 *     an unauthenticated sender never reaches the JSON parser. Every comparison is constant-time
 *     over equal-length buffers (`timingSafeEqual`); a missing or bad signature is 401.
 *  3. Only push events count; a ping or any other event is ignored. A push to another branch,
 *     a tag, or the deletion of the branch is ignored.
 *  4. A push carries its delivery id (`X-GitHub-Delivery`, `X-Forgejo-Delivery`/`X-Gitea-Delivery`,
 *     `X-Gitlab-Event-UUID`) when the forge sent one, so the HTTP layer can drop a replayed
 *     delivery (recent-deliveries.ts). GitLab's `X-Gitlab-Webhook-UUID` is not one: GitLab
 *     documents it as the id of the webhook itself, the same for each of its deliveries.
 *
 * Returned reasons never contain the body or the secret: they name headers, event names and
 * branches only, and header-derived text is truncated and stripped of control characters.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type WebhookProvider = "github" | "gitea" | "gitlab";

export type WebhookResult =
  | { kind: "push"; provider: WebhookProvider; branch: string; after: string | undefined; delivery: string | undefined }
  /** Another host published outcome lines (a push of the notes ref): the fleet's wave rule may have moved. */
  | { kind: "notes"; provider: WebhookProvider; delivery: string | undefined }
  | { kind: "ignored"; reason: string }
  | { kind: "rejected"; status: 401 | 400 | 413; reason: string };

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface WebhookOptions {
  /** The shared secret (GitHub/Gitea HMAC key, GitLab token). An empty secret rejects everything. */
  secret: Buffer;
  /** The branch the agent follows; pushes to any other branch are ignored. */
  branch: string;
  /** The notes ref outcome lines are published to; a push of it wakes the agent too (fleets). */
  notesRef?: string;
  maxBodyBytes: number;
}

/** Thrown by `readLimitedBody` when the body passes the limit. The HTTP layer answers 413. */
export class BodyTooLargeError extends Error {
  readonly code = "GITDOCK_E_BODY_TOO_LARGE";
  readonly status = 413;
  constructor(readonly limitBytes: number) {
    super(`request body exceeds the limit of ${limitBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

const HEADER = {
  githubSignature: "x-hub-signature-256",
  githubEvent: "x-github-event",
  giteaSignature: "x-gitea-signature",
  forgejoSignature: "x-forgejo-signature",
  giteaEvent: "x-gitea-event",
  forgejoEvent: "x-forgejo-event",
  gitlabToken: "x-gitlab-token",
  gitlabEvent: "x-gitlab-event",
  githubDelivery: "x-github-delivery",
  giteaDelivery: "x-gitea-delivery",
  forgejoDelivery: "x-forgejo-delivery",
  gitlabDelivery: "x-gitlab-event-uuid",
  contentType: "content-type",
} as const;

const ZERO_SHA = /^0+$/;
const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export function verifyWebhook(req: WebhookRequest, opts: WebhookOptions): WebhookResult {
  if (req.body.length > opts.maxBodyBytes) {
    return rejected(413, `body of ${req.body.length} bytes exceeds the limit of ${opts.maxBodyBytes} bytes`);
  }
  const headers = lowerCaseHeaders(req.headers);
  const provider = detectProvider(headers);
  if (provider === undefined) {
    return rejected(401, "no signature header (X-Hub-Signature-256, X-Gitea-Signature, X-Forgejo-Signature or X-Gitlab-Token)");
  }
  if (opts.secret.length === 0) {
    return rejected(401, "no webhook secret is configured; every webhook is refused");
  }
  const authFailure = authenticate(provider, headers, req.body, opts.secret);
  if (authFailure !== undefined) return rejected(401, authFailure);

  // Authenticated from here on.
  const event = eventOf(provider, headers);
  if (event.kind !== "ok") return event.result;

  const payload = parsePayload(req.body, single(headers[HEADER.contentType]));
  if (payload === undefined) return rejected(400, "body is not a JSON object");

  const ref = payload["ref"];
  if (typeof ref !== "string") return rejected(400, "push payload has no string `ref`");
  if (opts.notesRef !== undefined && ref === opts.notesRef) return { kind: "notes", provider, delivery: deliveryIdOf(provider, headers) };
  if (!ref.startsWith("refs/heads/")) return ignored(`push to ${clean(ref)} is not a branch`);
  const branch = ref.slice("refs/heads/".length);
  if (branch !== opts.branch) return ignored(`push to branch ${clean(branch)}; following ${clean(opts.branch)}`);

  const after = payload["after"];
  if (typeof after === "string" && ZERO_SHA.test(after)) return ignored(`branch ${clean(branch)} was deleted`);
  return {
    kind: "push",
    provider,
    branch,
    after: typeof after === "string" && COMMIT_SHA.test(after) ? after.toLowerCase() : undefined,
    delivery: deliveryIdOf(provider, headers),
  };
}

/** The forge's id of this delivery, when it sent exactly one (a repeated header counts as none). */
function deliveryIdOf(provider: WebhookProvider, headers: Headers): string | undefined {
  const id = (name: string) => {
    const v = single(headers[name])?.trim();
    return v === "" ? undefined : v;
  };
  switch (provider) {
    case "github":
      return id(HEADER.githubDelivery);
    case "gitea":
      return id(HEADER.forgejoDelivery) ?? id(HEADER.giteaDelivery);
    case "gitlab":
      return id(HEADER.gitlabDelivery);
  }
}

/**
 * Strip one trailing newline from a secret file's content (`echo secret > file` writes one),
 * so the GitLab token compares equal to what the forge sends.
 */
export function secretFromFileContent(content: Buffer): Buffer {
  let end = content.length;
  if (end > 0 && content[end - 1] === 0x0a) end--;
  if (end > 0 && content[end - 1] === 0x0d) end--;
  return content.subarray(0, end);
}

/**
 * Read a request body up to `maxBytes`. A `Content-Length` over the limit is refused before a
 * byte is read; a body that grows past it stops being read (the stream is paused and detached)
 * and the promise rejects with `BodyTooLargeError`. Answer 413 with `Connection: close` so the
 * rest is never read.
 */
export function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(single(req.headers["content-length"]));
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.pause();
      reject(new BodyTooLargeError(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (err) {
        req.pause();
        // Later stream errors (the client hanging up) must not become uncaught exceptions.
        req.on("error", () => {});
        reject(err);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish(new BodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (err: Error): void => finish(err);
    const onClose = (): void => finish(new Error("request closed before its body was complete"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

// ---------------------------------------------------------------------------------------------

type Headers = Record<string, string | string[] | undefined>;

function lowerCaseHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (value !== undefined) out[key] = [...toArray(prev), ...toArray(value)];
  }
  return out;
}

function toArray(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}

/** A header's value when it was sent exactly once; undefined when absent or repeated. */
function single(v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) return v.length === 1 ? v[0] : undefined;
  return v;
}

function present(headers: Headers, name: string): boolean {
  return headers[name] !== undefined;
}

/**
 * Gitea and Forgejo also send GitHub-style headers, so their own headers are checked first.
 * The choice is made from headers the sender controls, which is safe: every path demands proof
 * of the same secret.
 */
function detectProvider(headers: Headers): WebhookProvider | undefined {
  if (
    present(headers, HEADER.giteaSignature) ||
    present(headers, HEADER.forgejoSignature) ||
    present(headers, HEADER.giteaEvent) ||
    present(headers, HEADER.forgejoEvent)
  ) {
    return "gitea";
  }
  if (present(headers, HEADER.gitlabToken) || present(headers, HEADER.gitlabEvent)) return "gitlab";
  if (present(headers, HEADER.githubSignature) || present(headers, HEADER.githubEvent)) return "github";
  return undefined;
}

/** Undefined when authenticated, else the reason for a 401. */
function authenticate(provider: WebhookProvider, headers: Headers, body: Buffer, secret: Buffer): string | undefined {
  switch (provider) {
    case "github": {
      const raw = headers[HEADER.githubSignature];
      if (raw === undefined) return "missing X-Hub-Signature-256 header";
      const value = single(raw);
      if (value === undefined) return "X-Hub-Signature-256 header sent more than once";
      if (!value.startsWith("sha256=")) return "X-Hub-Signature-256 is not of the form sha256=<hex>";
      return hmacMatches(value.slice("sha256=".length), body, secret) ? undefined : "X-Hub-Signature-256 does not match";
    }
    case "gitea": {
      // Forgejo sends both its own and the Gitea header; every one that is present must match.
      const names = [HEADER.forgejoSignature, HEADER.giteaSignature].filter((n) => present(headers, n));
      if (names.length === 0) return "missing X-Gitea-Signature header";
      for (const name of names) {
        const value = single(headers[name]);
        if (value === undefined) return `${displayName(name)} header sent more than once`;
        if (!hmacMatches(value, body, secret)) return `${displayName(name)} does not match`;
      }
      return undefined;
    }
    case "gitlab": {
      const raw = headers[HEADER.gitlabToken];
      if (raw === undefined) return "missing X-Gitlab-Token header";
      const value = single(raw);
      if (value === undefined) return "X-Gitlab-Token header sent more than once";
      // Hash both sides so the comparison is over equal-length buffers whatever the lengths.
      const given = createHash("sha256").update(value, "utf8").digest();
      const expected = createHash("sha256").update(secret).digest();
      return timingSafeEqual(given, expected) ? undefined : "X-Gitlab-Token does not match";
    }
  }
}

function hmacMatches(hex: string, body: Buffer, secret: Buffer): boolean {
  const expected = createHmac("sha256", secret).update(body).digest();
  // The format check leaks only whether the header is well-formed, nothing about the secret.
  const given = HEX_SHA256.test(hex) ? Buffer.from(hex, "hex") : Buffer.alloc(expected.length);
  return timingSafeEqual(given, expected) && HEX_SHA256.test(hex);
}

type EventCheck = { kind: "ok" } | { kind: "stop"; result: WebhookResult };

function eventOf(provider: WebhookProvider, headers: Headers): EventCheck {
  const stop = (result: WebhookResult): EventCheck => ({ kind: "stop", result });
  switch (provider) {
    case "github": {
      const event = single(headers[HEADER.githubEvent]);
      if (event === undefined) return stop(rejected(400, "missing X-GitHub-Event header"));
      if (event === "push") return { kind: "ok" };
      return stop(ignored(event === "ping" ? "ping event" : `event ${clean(event)} is not a push`));
    }
    case "gitea": {
      const event = single(headers[HEADER.forgejoEvent]) ?? single(headers[HEADER.giteaEvent]);
      if (event === undefined) return stop(rejected(400, "missing X-Gitea-Event header"));
      if (event === "push") return { kind: "ok" };
      return stop(ignored(`event ${clean(event)} is not a push`));
    }
    case "gitlab": {
      const event = single(headers[HEADER.gitlabEvent]);
      if (event === undefined) return stop(rejected(400, "missing X-Gitlab-Event header"));
      if (event === "Push Hook") return { kind: "ok" };
      return stop(ignored(`event ${clean(event)} is not a push`));
    }
  }
}

/** JSON, or GitHub's form encoding (`payload=<json>`). Undefined unless it is a JSON object. */
function parsePayload(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  let text = body.toString("utf8");
  if (contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) return undefined;
    text = payload;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function displayName(header: string): string {
  return header.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** Header- or payload-derived text safe to put in a reason: printable, at most 100 characters. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return printable.length > 100 ? `${printable.slice(0, 100)}…` : printable;
}

function rejected(status: 401 | 400 | 413, reason: string): WebhookResult {
  return { kind: "rejected", status, reason };
}

function ignored(reason: string): WebhookResult {
  return { kind: "ignored", reason };
}
