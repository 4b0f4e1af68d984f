import { describe, expect, it } from "vitest";
import { IMAGE, loadOrFail, problems } from "../fixtures/manifest/helpers.js";

function stack(services: Record<string, number>, name?: string): string {
  const lines = name ? [`name: ${name}`, "services:"] : ["services:"];
  for (const [service, replicas] of Object.entries(services)) {
    lines.push(`  ${service}:`, `    image: ${IMAGE}`, `    deploy: {replicas: ${replicas}}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("manifest: rules across files", () => {
  it("refuses two compose files in one directory, on both files", () => {
    const found = problems([
      { path: "stacks/web/compose.yaml", content: stack({ a: 1 }) },
      { path: "stacks/web/docker-compose.yml", content: stack({ b: 1 }) },
    ]);
    const ambiguous = found.filter((p) => /ambiguous stack/.test(p.message));
    expect(ambiguous.map((p) => [p.file, p.line, p.col])).toEqual([
      ["stacks/web/compose.yaml", 1, 1],
      ["stacks/web/docker-compose.yml", 1, 1],
    ]);
    expect(ambiguous[0]?.message).toContain("stacks/web/docker-compose.yml");
  });

  it("refuses two stacks with one project name, on both files", () => {
    const found = problems([
      { path: "stacks/a/compose.yaml", content: stack({ x: 1 }, "shop") },
      { path: "stacks/b/compose.yaml", content: stack({ y: 1 }, "shop") },
    ]);
    expect(found).toEqual([
      expect.objectContaining({
        file: "stacks/a/compose.yaml",
        path: "name",
        line: 1,
        col: 7,
        message: expect.stringMatching(/"shop" is also used by stacks\/b\/compose.yaml/),
      }),
      expect.objectContaining({ file: "stacks/b/compose.yaml", path: "name", message: expect.stringMatching(/also used by stacks\/a/) }),
    ]);
  });

  it("refuses a project name from a directory that another file's name: also claims", () => {
    const found = problems([
      { path: "stacks/shop/compose.yaml", content: stack({ x: 1 }) },
      { path: "stacks/b/compose.yaml", content: stack({ y: 1 }, "shop") },
    ]);
    expect(found.map((p) => [p.file, p.path])).toEqual([
      ["stacks/shop/compose.yaml", ""],
      ["stacks/b/compose.yaml", "name"],
    ]);
  });

  it("refuses two services whose containers would share a name (a-b/c and a/b-c)", () => {
    const found = problems([
      { path: "stacks/a-b/compose.yaml", content: stack({ c: 2 }) },
      { path: "stacks/a/compose.yaml", content: stack({ "b-c": 1 }) },
    ]);
    expect(found).toEqual([
      expect.objectContaining({
        file: "stacks/a-b/compose.yaml",
        path: "services.c",
        line: 2,
        col: 3,
        message: expect.stringMatching(/container name "a-b-c-1" is also used by service "b-c" of project "a"/),
      }),
      expect.objectContaining({ file: "stacks/a/compose.yaml", path: "services.b-c", message: expect.stringMatching(/service "c" of project "a-b"/) }),
    ]);
  });

  it("accepts the same prefix when one side runs no containers", () => {
    const stacks = loadOrFail([
      { path: "stacks/a-b/compose.yaml", content: stack({ c: 0 }) },
      { path: "stacks/a/compose.yaml", content: stack({ "b-c": 3 }) },
    ]);
    expect(stacks.map((s) => s.project)).toEqual(["a-b", "a"]);
  });

  it("accepts similar names that cannot collide", () => {
    const stacks = loadOrFail([
      { path: "stacks/a/compose.yaml", content: stack({ x: 11, "x-1": 1 }) },
      { path: "stacks/b/compose.yaml", content: stack({ x: 1 }) },
    ]);
    expect(stacks).toHaveLength(2);
  });

  it("returns stacks sorted by file", () => {
    const stacks = loadOrFail([
      { path: "stacks/b/compose.yaml", content: stack({ x: 1 }) },
      { path: "stacks/a/compose.yaml", content: stack({ x: 1 }) },
    ]);
    expect(stacks.map((s) => s.file)).toEqual(["stacks/a/compose.yaml", "stacks/b/compose.yaml"]);
  });

  it("reports the problems of every file, in the order the files were given", () => {
    const found = problems([
      { path: "stacks/z/compose.yaml", content: "services:\n  a:\n    image: nginx\n" },
      { path: "stacks/y/compose.yaml", content: "services:\n  a:\n    image: redis\n    build: .\n" },
    ]);
    expect(found.map((p) => `${p.file}:${p.line}:${p.col}: ${p.path}`)).toEqual([
      "stacks/z/compose.yaml:3:12: services.a.image",
      "stacks/y/compose.yaml:3:12: services.a.image",
      "stacks/y/compose.yaml:4:5: services.a.build",
    ]);
  });
});
