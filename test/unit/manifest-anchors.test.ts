/**
 * YAML anchors as real stacks use them: a 34 KB file with layered `<<: *defaults` merges passes
 * (yaml's alias counter refused it as a bomb); bombs are refused by what they expand to; a problem
 * in shared text is reported once, at the anchor, with the services that use it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXPANSION_FACTOR, MAX_MANIFEST_BYTES, groupSharedProblems, loadManifest } from "../../src/manifest/index.js";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { checkPolicy } from "../../src/policy/index.js";
import { IMAGE, loadOrFail, problems } from "../fixtures/manifest/helpers.js";

const PATH = "test/fixtures/manifest/anchors/media/compose.yaml";
const MEDIA = readFileSync(PATH, "utf8");

describe("manifest: anchors in a real-sized file", () => {
  it("loads a 34 KB file whose anchors are used more than a hundred times", () => {
    expect(Buffer.byteLength(MEDIA)).toBeGreaterThan(34_000);
    const [stack] = loadOrFail([{ path: PATH, content: MEDIA }], "test/fixtures/manifest/anchors");
    expect(stack?.project).toBe("media");
    expect(stack?.services).toHaveLength(38);
    const jellyfin = stack?.services.find((s) => s.name === "jellyfin");
    expect(jellyfin?.container).toMatchObject({
      restart: "unless-stopped",
      init: true,
      logging: { driver: "json-file" },
      devices: [expect.objectContaining({ source: "/dev/dri" })],
    });
    expect(jellyfin?.container.environment).toMatchObject({ TZ: "Europe/Berlin", APP_NAME: "jellyfin" });
    expect(jellyfin?.container.healthcheck).toMatchObject({ retries: 5, intervalMs: 30_000 });
  });

  it("reports a problem in shared text once, at the anchor, naming every service that uses it", () => {
    const broken = MEDIA.replace("  restart: unless-stopped\n", "  restart: sometimes\n");
    const found = problems([{ path: PATH, content: broken }], "test/fixtures/manifest/anchors");
    const line = broken.split("\n").findIndex((l) => l === "  restart: sometimes") + 1;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: PATH, line, col: 12, path: "x-base.restart" });
    expect(found[0]?.message).toMatch(
      /^expected "no", "always".* \(in the anchor &base, used by services audiobookshelf, bazarr, calibre-web, .*, vaultwarden, wallabag\)$/,
    );
  });

  it("keeps one service's problem under an anchor at its own path", () => {
    const yaml = ["x-base: &base", "  restart: sometimes", "services:", "  web:", "    <<: *base", `    image: ${IMAGE}`].join("\n");
    expect(problems(yaml)).toEqual([expect.objectContaining({ path: "services.web.restart", line: 2, col: 12 })]);
  });
});

describe("manifest: alias bombs, by expanded size", () => {
  it(`refuses a document that expands to more than ${EXPANSION_FACTOR} times its own size`, () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ["b", "c", "d", "e"].entries())
      lines.push(
        `${name}: &${name} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(",")}]`,
      );
    lines.push(`services:\n  web:\n    image: ${IMAGE}\n    command: *e`);
    expect(problems(lines.join("\n"))).toEqual([
      expect.objectContaining({
        line: 1,
        col: 1,
        message: expect.stringMatching(
          /^its aliases expand to \d+ nodes \(limit \d+\), more than 10 times the file itself; refusing what looks like a YAML alias bomb$/,
        ),
      }),
    ]);
  });

  it("refuses a few aliases to a long string that expand past the byte budget", () => {
    const big = "x".repeat(MAX_MANIFEST_BYTES / 4);
    const yaml = `x: &x "${big}"\nservices:\n  web:\n    image: ${IMAGE}\n    command: [${Array(64).fill("*x").join(", ")}]\n`;
    expect(problems(yaml)).toEqual([expect.objectContaining({ message: expect.stringMatching(/bytes of text .* alias bomb/) })]);
  });

  it("accepts a small file that shares one anchor a few hundred times", () => {
    const services = Array.from({ length: 300 }, (_, i) => `  s${i}:\n    <<: *d`).join("\n");
    const yaml = `x-d: &d\n  image: ${IMAGE}\n  restart: always\nservices:\n${services}\n`;
    expect(loadOrFail([{ path: "stacks/app/compose.yaml", content: yaml }])[0]?.services).toHaveLength(300);
  });
});

describe("host policy problems in shared text", () => {
  it("are grouped the same way: once, naming the services", () => {
    const yaml = [
      "x-base: &base",
      "  privileged: true",
      "services:",
      ...["api", "web", "worker"].flatMap((s) => [`  ${s}:`, "    <<: *base", `    image: ${IMAGE}`]),
    ].join("\n");
    const { stacks, sources } = loadManifest([{ path: "stacks/app/compose.yaml", content: yaml }], { root: "stacks" });
    const violations = checkPolicy(stacks, DEFAULT_POLICY, sources);
    expect(violations).toHaveLength(3);
    expect(groupSharedProblems(violations)).toEqual([
      expect.objectContaining({ line: 2, col: 15, message: expect.stringMatching(/\(shared by services api, web, worker\)$/) }),
    ]);
  });
});
