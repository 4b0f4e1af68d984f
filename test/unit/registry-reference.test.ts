/** Image references as Docker reads them, registry endpoints, and the registry's auth challenges and answers. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RegistryLookupError } from "../../src/errors.js";
import { classifyImage } from "../../src/pin/classify-image.js";
import { describeAnswer } from "../../src/registry/registry-answer.js";
import {
  digestFromHead,
  digestFromManifest,
  isLoopbackHost,
  MANIFEST_MEDIA_TYPES,
  parseAuthChallenge,
  parseImageReference,
  pinnedReference,
  registryBaseUrl,
} from "../../src/registry/index.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("image references", () => {
  it.each([
    ["nginx", { name: "nginx", registry: "docker.io", repository: "library/nginx", tag: undefined, digest: undefined }],
    ["nginx:1.25-alpine", { name: "nginx", registry: "docker.io", repository: "library/nginx", tag: "1.25-alpine", digest: undefined }],
    ["bitnami/redis:7.2", { name: "bitnami/redis", registry: "docker.io", repository: "bitnami/redis", tag: "7.2", digest: undefined }],
    ["docker.io/library/nginx:1", { name: "docker.io/library/nginx", registry: "docker.io", repository: "library/nginx", tag: "1", digest: undefined }],
    ["index.docker.io/nginx", { name: "index.docker.io/nginx", registry: "docker.io", repository: "library/nginx", tag: undefined, digest: undefined }],
    ["ghcr.io/acme/shop/web:v2@" + DIGEST, { name: "ghcr.io/acme/shop/web", registry: "ghcr.io", repository: "acme/shop/web", tag: "v2", digest: DIGEST }],
    [
      "Registry.Example.com:5000/a_b/c__d/e-f.g",
      {
        name: "Registry.Example.com:5000/a_b/c__d/e-f.g",
        registry: "registry.example.com:5000",
        repository: "a_b/c__d/e-f.g",
        tag: undefined,
        digest: undefined,
      },
    ],
    ["localhost:5000/web@" + DIGEST, { name: "localhost:5000/web", registry: "localhost:5000", repository: "web", tag: undefined, digest: DIGEST }],
    ["localhost/web:1", { name: "localhost/web", registry: "localhost", repository: "web", tag: "1", digest: undefined }],
    ["[::1]:5000/web:1", { name: "[::1]:5000/web", registry: "[::1]:5000", repository: "web", tag: "1", digest: undefined }],
    [
      "127.0.0.1:5000/gitdock-test/web:v_1.0",
      { name: "127.0.0.1:5000/gitdock-test/web", registry: "127.0.0.1:5000", repository: "gitdock-test/web", tag: "v_1.0", digest: undefined },
    ],
  ])("%s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each([
    ["Nginx:1", /not a valid image reference/],
    ["nginx:", /not a valid image reference/],
    ["nginx:-1", /not a valid image reference/],
    ["nginx::1", /not a valid image reference/],
    ["a//b", /not a valid image reference/],
    ["nginx@sha256:abc", /64 lowercase hex/],
    [`nginx@sha512:${"a".repeat(128)}`, /sha256/],
    [`nginx@${DIGEST.toUpperCase()}`, /not a valid image reference|64 lowercase hex/],
    ["nginx:1 ", /not a valid image reference/],
    [`${"a".repeat(256)}:1`, /longer than 255/],
    [`nginx:${"t".repeat(129)}`, /not a valid image reference/],
  ])("refuses %s", (text, message) => {
    const parsed = parseImageReference(text);
    expect(parsed).toEqual({ problem: expect.stringMatching(message) });
  });

  it("writes the pinned form with the name as written and the tag it came from (latest when none was)", () => {
    const pinned = (text: string) => {
      const ref = parseImageReference(text);
      if ("problem" in ref) throw new Error(ref.problem);
      return pinnedReference(ref, DIGEST);
    };
    expect(pinned("nginx")).toBe(`nginx:latest@${DIGEST}`);
    expect(pinned("ghcr.io/acme/web:2.0")).toBe(`ghcr.io/acme/web:2.0@${DIGEST}`);
    expect(pinned(`ghcr.io/acme/web:2.0@sha256:${"0".repeat(64)}`)).toBe(`ghcr.io/acme/web:2.0@${DIGEST}`);
  });

  it("classifies values for gitdock pin", () => {
    expect(classifyImage("nginx:1").kind).toBe("unpinned");
    expect(classifyImage(`nginx:1@${DIGEST}`).kind).toBe("pinned");
    expect(classifyImage(`nginx@${DIGEST}`).kind).toBe("digest-only");
    expect(classifyImage("${IMAGE}").kind).toBe("interpolated");
    expect(classifyImage("nginx:${TAG:-1}").kind).toBe("interpolated");
    expect(classifyImage("NGINX").kind).toBe("invalid");
  });
});

describe("registry endpoints", () => {
  it("speaks plain HTTP to loopback registries only, and Docker Hub at registry-1.docker.io", () => {
    expect(registryBaseUrl("127.0.0.1:5000").href).toBe("http://127.0.0.1:5000/");
    expect(registryBaseUrl("127.3.2.1").href).toBe("http://127.3.2.1/");
    expect(registryBaseUrl("localhost:5000").href).toBe("http://localhost:5000/");
    expect(registryBaseUrl("[::1]:5000").href).toBe("http://[::1]:5000/");
    expect(registryBaseUrl("docker.io").href).toBe("https://registry-1.docker.io/");
    expect(registryBaseUrl("ghcr.io").href).toBe("https://ghcr.io/");
    expect(registryBaseUrl("10.0.0.5:5000").href).toBe("https://10.0.0.5:5000/");
    expect(registryBaseUrl("127.0.0.1.example.com").href).toBe("https://127.0.0.1.example.com/");
    expect(registryBaseUrl("localhost.example.com:5000").href).toBe("https://localhost.example.com:5000/");
    expect(isLoopbackHost("[::2]:5000")).toBe(false);
  });
});

describe("WWW-Authenticate challenges", () => {
  it("reads a Bearer challenge as the token flow needs it", () => {
    expect(parseAuthChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/nginx:pull" },
    });
  });

  it("reads Basic, unquoted and escaped values, spaces, and stops at what does not parse", () => {
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: "basic", params: { realm: "Registry Realm" } });
    expect(parseAuthChallenge("bearer Realm=http://127.0.0.1:1/token , Service = reg")).toEqual({
      scheme: "bearer",
      params: { realm: "http://127.0.0.1:1/token", service: "reg" },
    });
    expect(parseAuthChallenge('Bearer realm="a \\"b\\"",error="insufficient_scope"')?.params).toEqual({ realm: 'a "b"', error: "insufficient_scope" });
    expect(parseAuthChallenge('Bearer realm="x", =broken, service="y"')?.params).toEqual({ realm: "x" });
    expect(parseAuthChallenge("")).toBeUndefined();
    expect(parseAuthChallenge("Basic")).toEqual({ scheme: "basic", params: {} });
  });
});

describe("the registry's answer in errors", () => {
  const answer = (status: number, body: string) => describeAnswer({ status, headers: {}, body: Buffer.from(body) });

  it("gives the status, the error code and a cleaned-up message", () => {
    expect(answer(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}')).toEqual({
      text: "HTTP 404 MANIFEST_UNKNOWN: manifest unknown",
      code: "MANIFEST_UNKNOWN",
    });
    expect(answer(401, '{"errors":[{"code":"UNAUTHORIZED","message":"auth\\nrequired\\u001b[31m"}]}').text).toBe("HTTP 401 UNAUTHORIZED: auth required [31m");
    expect(answer(500, "<html>oops</html>")).toEqual({ text: "HTTP 500", code: undefined });
    expect(answer(400, `{"errors":[{"code":"lower case","message":"${"m".repeat(300)}"}]}`).text).toMatch(/^HTTP 400 m{200}…$/);
  });
});

describe("the digest of a registry's answer", () => {
  const target = { registry: "ghcr.io", repository: "acme/web", tag: "2.0" };
  const index = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
  const indexDigest = `sha256:${createHash("sha256").update(index).digest("hex")}`;
  const res = (status: number, headers: Record<string, string>, body = Buffer.alloc(0)) => ({ status, headers, body });

  it("takes a HEAD's sha256 Docker-Content-Digest for any manifest or index type", () => {
    for (const type of MANIFEST_MEDIA_TYPES) {
      expect(digestFromHead(res(200, { "content-type": `${type}; charset=utf-8`, "docker-content-digest": DIGEST }), target)).toEqual({
        digest: DIGEST,
        mediaType: type,
      });
    }
  });

  it("leaves the rest to a GET: no header, another algorithm, not a 200", () => {
    const type = { "content-type": MANIFEST_MEDIA_TYPES[0] };
    expect(digestFromHead(res(200, type), target)).toBeUndefined();
    expect(digestFromHead(res(200, { ...type, "docker-content-digest": `sha512:${"a".repeat(128)}` }), target)).toBeUndefined();
    expect(digestFromHead(res(404, { ...type, "docker-content-digest": DIGEST }), target)).toBeUndefined();
  });

  it("hashes a GET's manifest, checked against the digest the registry claims", () => {
    const type = { "content-type": "application/vnd.oci.image.index.v1+json" };
    expect(digestFromManifest(res(200, type, index), target)).toEqual({ digest: indexDigest, mediaType: type["content-type"] });
    expect(digestFromManifest(res(200, { ...type, "docker-content-digest": indexDigest }, index), target).digest).toBe(indexDigest);
    expect(() => digestFromManifest(res(200, { ...type, "docker-content-digest": DIGEST }, index), target)).toThrow(
      /ghcr\.io served a manifest for acme\/web:2\.0 whose content does not match its Docker-Content-Digest/,
    );
  });

  it("refuses what is not an index or an image manifest (a schema 1 manifest's digest names nothing pullable)", () => {
    const v1 = { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws", "docker-content-digest": DIGEST };
    expect(() => digestFromHead(res(200, v1), target)).toThrow(/serves acme\/web:2\.0 as "application\/vnd\.docker\.distribution\.manifest\.v1\+prettyjws"/);
    expect(() => digestFromManifest(res(200, {}, index), target)).toThrow(/as "no content type"/);
    expect(() => digestFromManifest(res(200, {}, index), target)).toThrow(RegistryLookupError);
  });
});
