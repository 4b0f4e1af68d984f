import { createHmac } from "node:crypto";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readLimitedBody, secretFromFileContent, verifyWebhook, type WebhookResult } from "../../src/agent/webhook.js";

const SECRET = Buffer.from("s3cr3t-webhook-value");
const OPTS = { secret: SECRET, branch: "main", maxBodyBytes: 64 * 1024 };
const AFTER = "a".repeat(40);

function body(ref = "refs/heads/main", after = AFTER): Buffer {
  return Buffer.from(JSON.stringify({ ref, after, before: "b".repeat(40), repository: { full_name: "o/r" } }));
}
const hmac = (b: Buffer, key = SECRET): string => createHmac("sha256", key).update(b).digest("hex");

function github(b: Buffer, event = "push", sig = `sha256=${hmac(b)}`) {
  return { headers: { "x-github-event": event, "x-hub-signature-256": sig, "content-type": "application/json" }, body: b };
}
function gitea(b: Buffer, event = "push", sig = hmac(b)) {
  return { headers: { "x-gitea-event": event, "x-gitea-signature": sig }, body: b };
}
function gitlab(b: Buffer, event = "Push Hook", token = SECRET.toString()) {
  return { headers: { "x-gitlab-event": event, "x-gitlab-token": token }, body: b };
}

function expectNoLeak(r: WebhookResult, b: Buffer): void {
  const text = JSON.stringify(r);
  expect(text).not.toContain(SECRET.toString());
  if (r.kind !== "push") expect(text).not.toContain(b.toString());
}

describe("verifyWebhook: accepted pushes", () => {
  it.each([
    ["github", github(body())],
    ["gitea", gitea(body())],
    ["gitlab", gitlab(body())],
  ] as const)("%s push to the followed branch", (provider, req) => {
    expect(verifyWebhook(req, OPTS)).toEqual({ kind: "push", provider, branch: "main", after: AFTER, delivery: undefined });
  });

  it.each([
    ["GitHub", github(body()), { "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" }, "72d3162e-cc78-11e3-81ab-4c9367dc0958"],
    ["Gitea", gitea(body()), { "X-Gitea-Delivery": "g-1" }, "g-1"],
    // Forgejo sends its own, Gitea's and GitHub's delivery headers, all with the same id.
    ["Forgejo", gitea(body()), { "X-Forgejo-Delivery": "f-1", "X-Gitea-Delivery": "f-1", "X-GitHub-Delivery": "f-1" }, "f-1"],
    ["GitLab", gitlab(body()), { "X-Gitlab-Event-UUID": "13792a34-cac6-4fda-95a8-c58e00a3954e" }, "13792a34-cac6-4fda-95a8-c58e00a3954e"],
    // GitLab documents X-Gitlab-Webhook-UUID as the id of the webhook, the same for all its deliveries.
    ["GitLab's webhook id alone", gitlab(body()), { "X-Gitlab-Webhook-UUID": "02affd2d-2cba-4033-917d-ec22d5dc4b38" }, undefined],
    ["GitHub's id on a GitLab delivery", gitlab(body()), { "X-GitHub-Delivery": "x" }, undefined],
    ["a blank id", github(body()), { "X-GitHub-Delivery": "  " }, undefined],
  ])("%s: the push carries the delivery id %s", (_name, req, extra, delivery) => {
    expect(verifyWebhook({ ...req, headers: { ...req.headers, ...extra } }, OPTS)).toMatchObject({ kind: "push", delivery });
  });

  it("accepts Forgejo's headers", () => {
    const b = body();
    const r = verifyWebhook({ headers: { "X-Forgejo-Event": "push", "X-Forgejo-Signature": hmac(b) }, body: b }, OPTS);
    expect(r).toMatchObject({ kind: "push", provider: "gitea" });
  });

  it("prefers Gitea's own signature when Gitea also sends GitHub-style headers", () => {
    const b = body();
    const req = {
      headers: { "x-gitea-event": "push", "x-gitea-signature": hmac(b), "x-github-event": "push", "x-hub-signature-256": "sha256=00" },
      body: b,
    };
    expect(verifyWebhook(req, OPTS)).toMatchObject({ kind: "push", provider: "gitea" });
  });

  it("matches header names case-insensitively", () => {
    const b = body();
    const r = verifyWebhook({ headers: { "X-GitHub-Event": "push", "X-Hub-Signature-256": `sha256=${hmac(b).toUpperCase()}` }, body: b }, OPTS);
    expect(r).toMatchObject({ kind: "push", provider: "github" });
  });

  it("accepts GitHub's form-encoded payload", () => {
    const b = Buffer.from(`payload=${encodeURIComponent(body().toString())}`);
    const req = { headers: { ...github(b).headers, "content-type": "application/x-www-form-urlencoded" }, body: b };
    expect(verifyWebhook(req, OPTS)).toMatchObject({ kind: "push", branch: "main" });
  });

  it("leaves `after` undefined when it is not a commit id", () => {
    const b = body("refs/heads/main", "not-a-sha");
    expect(verifyWebhook(github(b), OPTS)).toMatchObject({ kind: "push", after: undefined });
  });
});

describe("verifyWebhook: ignored", () => {
  it("ignores GitHub's ping", () => {
    const b = Buffer.from(JSON.stringify({ zen: "Keep it simple", hook_id: 1 }));
    expect(verifyWebhook(github(b, "ping"), OPTS)).toEqual({ kind: "ignored", reason: "ping event" });
  });
  it.each([
    ["github", github(body("refs/heads/dev"))],
    ["gitea", gitea(body("refs/heads/dev"))],
    ["gitlab", gitlab(body("refs/heads/dev"))],
  ] as const)("ignores a %s push to another branch", (_p, req) => {
    const r = verifyWebhook(req, OPTS);
    expect(r.kind).toBe("ignored");
    expect(r.kind === "ignored" && r.reason).toContain("dev");
  });
  it("ignores tags, branch deletion and other events", () => {
    expect(verifyWebhook(github(body("refs/tags/v1")), OPTS).kind).toBe("ignored");
    expect(verifyWebhook(github(body("refs/heads/main", "0".repeat(40))), OPTS).kind).toBe("ignored");
    expect(verifyWebhook(github(body(), "issues"), OPTS).kind).toBe("ignored");
    expect(verifyWebhook(gitlab(body(), "Tag Push Hook"), OPTS).kind).toBe("ignored");
    expect(verifyWebhook(gitea(body(), "pull_request"), OPTS).kind).toBe("ignored");
  });
  it("a prefix of the followed branch is another branch", () => {
    expect(verifyWebhook(github(body("refs/heads/main-old")), OPTS).kind).toBe("ignored");
  });
});

describe("verifyWebhook: rejected", () => {
  const b = body();
  const cases: [string, { headers: Record<string, string | string[] | undefined>; body: Buffer }, number][] = [
    ["no headers at all", { headers: {}, body: b }, 401],
    ["GitHub event without signature", { headers: { "x-github-event": "push" }, body: b }, 401],
    ["GitHub signature of another body", github(b, "push", `sha256=${hmac(Buffer.from("other"))}`), 401],
    ["GitHub signature with another key", github(b, "push", `sha256=${hmac(b, Buffer.from("wrong"))}`), 401],
    ["GitHub signature without the sha256= prefix", github(b, "push", hmac(b)), 401],
    ["GitHub sha1 signature only", { headers: { "x-github-event": "push", "x-hub-signature": "sha1=00" }, body: b }, 401],
    ["GitHub truncated signature", github(b, "push", `sha256=${hmac(b).slice(0, 63)}`), 401],
    ["GitHub signature repeated", { headers: { "x-github-event": "push", "x-hub-signature-256": [`sha256=${hmac(b)}`, "sha256=00"] }, body: b }, 401],
    ["Gitea bad signature", gitea(b, "push", "00".repeat(32)), 401],
    ["Gitea non-hex signature", gitea(b, "push", "zz".repeat(32)), 401],
    ["Gitea event without signature", { headers: { "x-gitea-event": "push" }, body: b }, 401],
    [
      "Forgejo: one of two signatures wrong",
      { headers: { "x-forgejo-event": "push", "x-forgejo-signature": hmac(b), "x-gitea-signature": "00".repeat(32) }, body: b },
      401,
    ],
    ["GitLab wrong token", gitlab(b, "Push Hook", "guess"), 401],
    ["GitLab token that is a prefix of the secret", gitlab(b, "Push Hook", SECRET.toString().slice(0, 5)), 401],
    ["GitLab event without token", { headers: { "x-gitlab-event": "Push Hook" }, body: b }, 401],
    ["signed garbage", github(Buffer.from("{not json")), 400],
    ["signed JSON array", github(Buffer.from("[1,2]")), 400],
    ["signed push without ref", github(Buffer.from(JSON.stringify({ after: AFTER }))), 400],
    ["signed but no event header", { headers: { "x-hub-signature-256": `sha256=${hmac(b)}` }, body: b }, 400],
  ];
  it.each(cases)("%s → %d", (_name, req, status) => {
    const r = verifyWebhook(req, OPTS);
    expect(r).toMatchObject({ kind: "rejected", status });
    expectNoLeak(r, req.body);
  });

  it("refuses a body over the limit before looking at it (413)", () => {
    const big = Buffer.alloc(OPTS.maxBodyBytes + 1, 0x20);
    expect(verifyWebhook(github(big), OPTS)).toMatchObject({ kind: "rejected", status: 413 });
  });

  it("refuses everything when the secret is empty, even a matching HMAC", () => {
    const empty = Buffer.alloc(0);
    const r = verifyWebhook(github(b, "push", `sha256=${hmac(b, empty)}`), { ...OPTS, secret: empty });
    expect(r).toMatchObject({ kind: "rejected", status: 401 });
    expect(verifyWebhook(gitlab(b, "Push Hook", ""), { ...OPTS, secret: empty })).toMatchObject({ status: 401 });
  });

  it("verifies before parsing: an unsigned unparsable body is 401, not 400", () => {
    expect(verifyWebhook(github(Buffer.from("{not json"), "push", "sha256=" + "0".repeat(64)), OPTS)).toMatchObject({ status: 401 });
  });
});

describe("verifyWebhook: hostile input (property)", () => {
  const header = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
  const names = fc.constantFrom(
    "x-hub-signature-256",
    "x-github-event",
    "x-gitea-signature",
    "x-gitea-event",
    "x-forgejo-signature",
    "x-forgejo-event",
    "x-gitlab-token",
    "x-gitlab-event",
    "content-type",
    "X-Hub-Signature-256",
  );

  it("never throws, never pushes without the secret, never leaks body or secret", () => {
    fc.assert(
      fc.property(fc.dictionary(names, header), fc.uint8Array({ maxLength: 2048 }), (headers, bytes) => {
        const b = Buffer.from(bytes);
        const r = verifyWebhook({ headers, body: b }, OPTS);
        expect(r.kind).not.toBe("push");
        expect(JSON.stringify(r)).not.toContain(SECRET.toString());
      }),
      { numRuns: 5000 },
    );
  });

  it("correctly signed arbitrary bodies never throw and are push, ignored or 400", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), fc.constantFrom("github", "gitea", "gitlab"), (text, provider) => {
        const b = Buffer.from(text);
        const req = provider === "github" ? github(b) : provider === "gitea" ? gitea(b) : gitlab(b);
        const r = verifyWebhook(req, OPTS);
        if (r.kind === "rejected") expect(r.status).toBe(400);
        if (r.kind === "push") expect(r.branch).toBe("main");
      }),
      { numRuns: 3000 },
    );
  });
});

describe("secretFromFileContent", () => {
  it("strips one trailing newline only", () => {
    expect(secretFromFileContent(Buffer.from("abc\n")).toString()).toBe("abc");
    expect(secretFromFileContent(Buffer.from("abc\r\n")).toString()).toBe("abc");
    expect(secretFromFileContent(Buffer.from("abc")).toString()).toBe("abc");
    expect(secretFromFileContent(Buffer.from("abc \n\n")).toString()).toBe("abc \n");
  });
});

describe("readLimitedBody", () => {
  async function withServer(limit: number, send: (port: number) => Promise<unknown>) {
    const seen: { result?: string; error?: unknown; pausedAfterError?: boolean } = {};
    const server = createServer((req, res) => {
      readLimitedBody(req, limit).then(
        (buf) => {
          seen.result = buf.toString();
          res.end("ok");
        },
        (err: unknown) => {
          seen.error = err;
          seen.pausedAfterError = req.isPaused() && req.listenerCount("data") === 0;
          res.writeHead(err instanceof BodyTooLargeError ? 413 : 400, { connection: "close" });
          res.end();
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const out = await send(port);
      return { seen, out };
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }

  function post(port: number, chunks: Buffer[], headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ port, host: "127.0.0.1", method: "POST", path: "/", headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", (err) => reject(err));
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it("reads a body within the limit", async () => {
    const { seen, out } = await withServer(100, (port) => post(port, [Buffer.from("hello "), Buffer.from("world")]));
    expect(out).toBe(200);
    expect(seen.result).toBe("hello world");
  });

  it("refuses a declared Content-Length over the limit without reading", async () => {
    const { seen, out } = await withServer(100, (port) => post(port, [Buffer.alloc(200, 0x61)], { "content-length": "200" }).catch(() => 413));
    expect(out).toBe(413);
    expect(seen.error).toBeInstanceOf(BodyTooLargeError);
  });

  it("stops reading a chunked body once it passes the limit", async () => {
    const chunks = Array.from({ length: 50 }, () => Buffer.alloc(1024, 0x61));
    const { seen, out } = await withServer(4096, (port) => post(port, chunks).catch(() => 413));
    expect(out).toBe(413);
    expect(seen.error).toBeInstanceOf(BodyTooLargeError);
    expect((seen.error as BodyTooLargeError).status).toBe(413);
    expect(seen.pausedAfterError).toBe(true);
  });
});
