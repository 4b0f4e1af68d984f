import { describe, expect, it } from "vitest";
import { MAX_MANIFEST_BYTES } from "../../src/manifest/index.js";
import { FILE, IMAGE, load, problems } from "../fixtures/manifest/helpers.js";

describe("manifest: YAML", () => {
  it("reports broken syntax with its position", () => {
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n   ports: [80\n`);
    expect(found.length).toBeGreaterThan(0);
    for (const p of found) expect(p).toMatchObject({ file: FILE, path: "", message: expect.stringMatching(/^invalid YAML: /) });
    expect(found[0]?.line).toBeGreaterThanOrEqual(4);
  });

  it("reports an unclosed flow sequence", () => {
    const found = problems("services: [\n");
    expect(found[0]).toMatchObject({ file: FILE, message: expect.stringMatching(/^invalid YAML/) });
  });

  it("reports duplicate keys at the second key", () => {
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n    image: ${IMAGE}\n`);
    expect(found).toEqual([{ file: FILE, line: 4, col: 5, path: "", message: "invalid YAML: Map keys must be unique" }]);
  });

  it("refuses several documents in one file", () => {
    const found = problems(`services: {}\n---\nservices: {}\n`);
    expect(found).toEqual([expect.objectContaining({ line: 2, col: 1, message: expect.stringMatching(/exactly one YAML document/) })]);
  });

  it("accepts a leading document marker", () => {
    expect(load(`---\nservices: {}\n`)).toHaveLength(1);
  });

  it("refuses a file over 1 MiB before parsing it", () => {
    const content = `# ${"x".repeat(10 * 1024 * 1024 - 3)}\n`;
    expect(problems(content)).toEqual([
      { file: FILE, line: 1, col: 1, path: "", message: `file is 10485760 bytes; manifests are limited to ${MAX_MANIFEST_BYTES} bytes` },
    ]);
  });

  it("counts bytes, not characters", () => {
    const content = `# ${"é".repeat(MAX_MANIFEST_BYTES / 2)}\n`;
    expect(problems(content)[0]?.message).toMatch(/^file is \d+ bytes; manifests are limited to 1048576 bytes$/);
  });

  it("refuses an alias bomb", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ["b", "c", "d", "e", "f", "g", "h", "i"].entries()) {
      const prev = String.fromCharCode("a".charCodeAt(0) + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    lines.push("services:\n  web:\n    image: x\n    command: *i");
    const found = problems(lines.join("\n"));
    expect(found).toEqual([expect.objectContaining({ file: FILE, message: expect.stringMatching(/alias bomb/) })]);
  });

  it("supports anchors, aliases and merge keys in normal use", () => {
    const yaml = [
      "x-base: &base",
      "  restart: always",
      "  labels: &labels {team: web}",
      "  environment: {A: 1}",
      "x-more: &more",
      "  init: true",
      "services:",
      "  web:",
      "    <<: [*base, *more]",
      `    image: ${IMAGE}`,
      "    environment: {B: 2}",
      "  api:",
      "    <<: *base",
      `    image: ${IMAGE}`,
      "    labels: *labels",
    ].join("\n");
    const [stack] = load(yaml);
    const [api, web] = stack?.services ?? [];
    expect(web?.container).toMatchObject({ restart: "always", init: true, labels: { team: "web" }, environment: { B: "2" } });
    expect(api?.container).toMatchObject({ restart: "always", labels: { team: "web" }, environment: { A: "1" } });
  });

  it("locates problems inside merged mappings at the anchor", () => {
    const yaml = ["x-base: &base", "  restart: sometimes", "services:", "  web:", "    <<: *base", `    image: ${IMAGE}`].join("\n");
    expect(problems(yaml)).toEqual([expect.objectContaining({ path: "services.web.restart", line: 2, col: 12 })]);
  });

  it("reports an alias to an unknown anchor at the alias", () => {
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n    labels: *nope\n`);
    expect(found).toEqual([expect.objectContaining({ line: 4, col: 13, message: expect.stringMatching(/^invalid YAML: /) })]);
  });

  it("refuses a recursive alias", () => {
    const found = problems(`services:\n  web: &w\n    image: ${IMAGE}\n    labels: [*w]\n`);
    expect(found).toEqual([expect.objectContaining({ path: "services.web.labels[0]", line: 4, col: 14, message: expect.stringMatching(/recursive/) })]);
  });

  it("refuses keys that are not plain scalars", () => {
    const found = problems(`services:\n  ? [a, b]\n  : {image: x}\n`);
    expect(found[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^invalid YAML: .*keys must be strings/) });
  });

  it("refuses unknown YAML tags (Compose's !reset and !override are known: manifest-compose-files.test.ts)", () => {
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n    labels: !tidy {}\n`);
    expect(found[0]).toMatchObject({ line: 4, message: expect.stringMatching(/^unsupported YAML: /) });
  });

  it("refuses a document nested too deeply, without crashing", () => {
    const found = problems(`services: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`);
    expect(found.length).toBeGreaterThan(0);
  });

  it("keeps !!binary and friends as plain YAML (resolveKnownTags off)", () => {
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n    hostname: !!binary aGVsbG8=\n`);
    expect(found[0]?.message).toMatch(/YAML/);
  });
});
