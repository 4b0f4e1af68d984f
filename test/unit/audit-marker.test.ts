import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import { buildMarker, signBody, verifyBodySignature } from "../../src/audit/marker.js";
import { MarkerSender } from "../../src/audit/marker-sender.js";

const secret = Buffer.from("s3cret");
const log = pino({ level: "silent" });
const outcome = {
  commit: "1".repeat(40),
  hostId: "web-1",
  outcome: "rolled-back" as const,
  at: "2026-11-22T14:03:40.000Z",
  reason: "health: x",
  durationMs: 812,
};

describe("marker signing", () => {
  it("signs the raw body with HMAC-SHA256 as sha256=<hex> (known answer)", () => {
    // echo -n '{"a":1}' | openssl dgst -sha256 -hmac s3cret
    expect(signBody('{"a":1}', secret)).toBe("sha256=5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d");
    expect(signBody('{"a":1}', secret)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("verifies the right signature and refuses a tampered body, a wrong secret or a malformed header", () => {
    const body = JSON.stringify(buildMarker(outcome, { repo: "https://git.example/m.git", branch: "main", path: "hosts/web-1" }));
    const sig = signBody(body, secret);
    expect(verifyBodySignature(body, sig, secret)).toBe(true);
    expect(verifyBodySignature(body.replace("rolled-back", "healthy"), sig, secret)).toBe(false);
    expect(verifyBodySignature(body, sig, "other")).toBe(false);
    expect(verifyBodySignature(body, sig.toUpperCase(), secret)).toBe(false);
    expect(verifyBodySignature(body, undefined, secret)).toBe(false);
    expect(verifyBodySignature(body, "sha256=abc", secret)).toBe(false);
  });

  it("builds a marker with the outcome's fields and the source", () => {
    expect(buildMarker(outcome, { repo: undefined, branch: "main", path: "" })).toEqual({
      type: "gitdock.outcome",
      version: 1,
      host: "web-1",
      commit: outcome.commit,
      outcome: "rolled-back",
      at: outcome.at,
      reason: "health: x",
      durationMs: 812,
      branch: "main",
      path: "",
    });
  });
});

describe("MarkerSender", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  async function receiver(answer: (n: number) => number): Promise<{ url: string; got: { body: string; sig: string | undefined }[] }> {
    const got: { body: string; sig: string | undefined }[] = [];
    let n = 0;
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        got.push({ body, sig: req.headers["x-gitdock-signature"] as string | undefined });
        res.writeHead(answer(++n)).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
  }

  it("delivers signed markers in order, retrying 5xx with backoff", async () => {
    const r = await receiver((n) => (n <= 2 ? 503 : 204));
    const sender = new MarkerSender({ url: r.url, secret, maxAttempts: 5, log, baseDelayMs: 5 });
    sender.enqueue('{"n":1}', "c1");
    sender.enqueue('{"n":2}', "c2");
    await sender.idle();
    expect(sender.delivered).toBe(2);
    expect(r.got.map((g) => g.body)).toEqual(['{"n":1}', '{"n":1}', '{"n":1}', '{"n":2}']);
    for (const g of r.got) expect(verifyBodySignature(g.body, g.sig, secret)).toBe(true);
  });

  it("gives up after max_attempts, and at once on a 4xx that retrying cannot fix", async () => {
    const r = await receiver((n) => (n === 1 ? 400 : 500));
    const sender = new MarkerSender({ url: r.url, secret, maxAttempts: 3, log, baseDelayMs: 5 });
    sender.enqueue("a", "c1");
    sender.enqueue("b", "c2");
    await sender.idle();
    expect(r.got.map((g) => g.body)).toEqual(["a", "b", "b", "b"]);
    expect(sender.failed).toBe(2);
  });

  it("never throws to the caller when nothing listens, and bounds its queue", async () => {
    const sender = new MarkerSender({ url: "http://127.0.0.1:9/none", secret, maxAttempts: 2, log, baseDelayMs: 5, capacity: 2 });
    expect(sender.enqueue("1", "c")).toBe(true);
    sender.enqueue("2", "c");
    sender.enqueue("3", "c");
    expect(sender.enqueue("4", "c")).toBe(false);
    await sender.idle();
    expect(sender.dropped).toBeGreaterThan(0);
    expect(sender.delivered).toBe(0);
  });
});
