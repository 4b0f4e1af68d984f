import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadStacks } from "../../src/manifest/index.js";

/** Every example manifest is what a user copies first: it must validate as it is. */
describe("examples/manifests", () => {
  it("has two valid stacks for host web-1", async () => {
    const paths = ["hosts/web-1/shop/compose.yaml", "hosts/web-1/blog/compose.yaml"];
    const files = await Promise.all(
      paths.map(async (p) => ({ path: p, content: await readFile(new URL(`../../examples/manifests/${p}`, import.meta.url), "utf8") })),
    );
    const stacks = loadStacks(files, { root: "hosts/web-1" });
    expect(stacks.map((s) => [s.project, s.services.map((x) => x.name)])).toEqual([
      ["blog", ["web"]],
      ["shop", ["api", "web"]],
    ]);
  });
});
