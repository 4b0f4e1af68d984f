/**
 * The registry client's content reads (src/registry/fetch-content.ts) against a small registry
 * played by node:http on the loopback interface: what comes back must match the digest it was
 * asked by, blob downloads follow the registry's redirect, and a registry without the referrers
 * API is told apart from one that fails.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryLookupError } from "../../src/errors.js";
import { fetchBlob, fetchManifest, fetchReferrers, RegistrySession } from "../../src/registry/index.js";

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const MANIFEST = Buffer.from('{"schemaVersion":2}');
const BLOB = Buffer.from("payload");
const OTHER = `sha256:${"e".repeat(64)}`;

let server: Server;
let session: RegistrySession;
const routes = new Map<string, (send: (status: number, body?: Buffer | string, headers?: Record<string, string>) => void) => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes.get(`${req.method} ${req.url}`);
    const send = (status: number, body: Buffer | string = "", headers: Record<string, string> = {}) => {
      res.writeHead(status, headers);
      res.end(body);
    };
    if (route) route(send);
    else send(404, '{"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  session = new RegistrySession(host, undefined, { timeoutMs: 5000 });
  routes.set(`GET /v2/acme/web/manifests/${sha(MANIFEST)}`, (send) => send(200, MANIFEST, { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }));
  routes.set(`GET /v2/acme/web/manifests/${OTHER}`, (send) => send(200, MANIFEST, { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }));
  routes.set("GET /v2/acme/web/manifests/sha256-abc.sig", (send) =>
    send(200, MANIFEST, { "Content-Type": "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest": OTHER }),
  );
  routes.set(`GET /v2/acme/web/blobs/${sha(BLOB)}`, (send) => send(307, "", { Location: `http://${host}/storage/${sha(BLOB)}` }));
  routes.set(`GET /storage/${sha(BLOB)}`, (send) => send(200, BLOB));
  routes.set(`GET /v2/acme/web/blobs/${OTHER}`, (send) => send(200, BLOB));
  for (const [repo, status] of [
    ["v28", 404],
    ["odd", 405],
    ["broken", 500],
  ] as const) {
    routes.set(`GET /v2/${repo}/web/referrers/${OTHER}?artifactType=x%2Fy`, (send) => send(status, ""));
  }
  routes.set(`GET /v2/api/web/referrers/${OTHER}?artifactType=x%2Fy`, (send) =>
    send(200, '{"manifests":[]}', { "Content-Type": "application/vnd.oci.image.index.v1+json" }),
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("reading content from a registry", () => {
  it("returns a manifest whose bytes match the digest asked for, and nothing for a 404", async () => {
    expect(await fetchManifest(session, "acme/web", sha(MANIFEST), ["application/vnd.oci.image.manifest.v1+json"])).toEqual({
      digest: sha(MANIFEST),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      body: MANIFEST,
    });
    expect(await fetchManifest(session, "acme/web", "nope", ["x"])).toBeUndefined();
  });

  it("refuses other bytes than the digest asked for, or than the registry's own Docker-Content-Digest", async () => {
    await expect(fetchManifest(session, "acme/web", OTHER, ["x"])).rejects.toThrow(RegistryLookupError);
    await expect(fetchManifest(session, "acme/web", "sha256-abc.sig", ["x"])).rejects.toThrow(/whose sha256 is sha256:[a-f0-9]{64}, not sha256:e{64}/);
    await expect(fetchBlob(session, "acme/web", OTHER)).rejects.toThrow(RegistryLookupError);
  });

  it("follows a blob download's redirect", async () => {
    expect(await fetchBlob(session, "acme/web", sha(BLOB))).toEqual(BLOB);
    expect(await fetchBlob(session, "acme/web", `sha256:${"0".repeat(64)}`)).toBeUndefined();
  });

  it("tells a registry without the referrers API (404, 405) from one that has it or fails", async () => {
    expect(await fetchReferrers(session, "v28/web", OTHER, "x/y")).toEqual({ supported: false });
    expect(await fetchReferrers(session, "odd/web", OTHER, "x/y")).toEqual({ supported: false });
    expect(await fetchReferrers(session, "api/web", OTHER, "x/y")).toEqual({ supported: true, index: Buffer.from('{"manifests":[]}') });
    await expect(fetchReferrers(session, "broken/web", OTHER, "x/y")).rejects.toThrow(/answered HTTP 500 for the referrers of broken\/web@sha256:e{64}/);
  });
});
