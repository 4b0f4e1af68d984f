import { describe, expect, it } from "vitest";
import { DIGEST, FILE, loadOrFail, problems, web, webFile } from "../fixtures/manifest/helpers.js";

const HEX = DIGEST.slice("sha256:".length);

function withImage(image: string): string {
  return webFile("").replace(/image: .*/, `image: ${JSON.stringify(image)}`);
}

describe("manifest: images must be pinned by digest", () => {
  it.each([
    `nginx@${DIGEST}`,
    `nginx:1.27@${DIGEST}`,
    `library/nginx:1.27-alpine@${DIGEST}`,
    `ghcr.io/team/app@${DIGEST}`,
    `127.0.0.1:5000/team/web@${DIGEST}`,
    `registry.example.com:443/a/b/c:v1.2.3@${DIGEST}`,
    `localhost/web_app__x@${DIGEST}`,
  ])("accepts %s", (image) => {
    const [stack] = loadOrFail([{ path: FILE, content: withImage(image) }]);
    expect(stack?.services[0]?.container.image).toBe(image);
  });

  it("keeps the image exactly as written", () => {
    expect(web("").container.image).toBe(`nginx:1.27@${DIGEST}`);
  });

  it("refuses a tag-only image with the exact message and a hint to pin it", () => {
    const [problem] = problems(withImage("nginx:1.27"));
    expect(problem?.path).toBe("services.web.image");
    expect(problem?.message).toMatch(/^not pinned by digest; /);
    expect(problem?.message).toContain("docker buildx imagetools inspect nginx:1.27");
    expect(problem?.message).toContain("docker inspect --format '{{index .RepoDigests 0}}' nginx:1.27");
    expect(problem?.message).toContain("nginx:1.27@sha256:<digest>");
  });

  it.each([
    ["no tag, no digest", "nginx", /^not pinned by digest/],
    ["registry with port but no digest", "127.0.0.1:5000/team/web:1", /^not pinned by digest/],
    ["short digest", `nginx@sha256:${HEX.slice(1)}`, /64 lowercase hex/],
    ["uppercase digest", `nginx@sha256:${HEX.toUpperCase()}`, /64 lowercase hex/],
    ["other algorithm", `nginx@sha512:${HEX}`, /sha256/],
    ["uppercase repository", `Nginx@${DIGEST}`, /not a valid image name/],
    ["empty repository", `@${DIGEST}`, /not a valid image name/],
    ["empty image", "", /must not be empty/],
  ])("refuses %s", (_what, image, message) => {
    const found = problems(withImage(image));
    expect(found).toEqual([expect.objectContaining({ file: FILE, path: "services.web.image", message: expect.stringMatching(message) })]);
  });

  it("refuses a service without an image, pointing at the service", () => {
    const found = problems("services:\n  web:\n    command: [run]\n");
    expect(found).toEqual([{ file: FILE, line: 2, col: 3, path: "services.web.image", message: "missing: every service needs an image pinned by digest" }]);
  });

  it("refuses an image of the wrong type", () => {
    expect(problems(webFile("").replace(/image: .*/, "image: [a]"))[0]?.message).toBe("expected a string, got a list");
  });
});
