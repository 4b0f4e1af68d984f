import { describe, expect, it } from "vitest";
import { loadManifest } from "../../src/manifest/index.js";
import { readDirectoryTree } from "../../src/source/read-directory-tree.js";
import { hostVariables } from "../fixtures/manifest/helpers.js";

/** Every example manifest is what a user copies first: it must validate as it is. */
describe("examples/manifests", () => {
  const read = () => readDirectoryTree(new URL("../../examples/manifests/hosts/web-1", import.meta.url).pathname, "hosts/web-1");

  it("has three valid stacks for host web-1", async () => {
    const { stacks } = loadManifest(await read(), { hostVariables: hostVariables({ SHOP_DB_PASSWORD: "x" }) });
    expect(stacks.map((s) => [s.project, s.file, s.services.map((x) => x.name)])).toEqual([
      ["blog", "hosts/web-1/blog/compose.yaml", ["web"]],
      ["shop", "hosts/web-1/shop/compose.yaml", ["api", "web"]],
      ["wiki", "hosts/web-1/wiki/docker-compose.yml", ["wiki"]],
    ]);
    const wiki = stacks[2]?.services[0]?.container;
    expect(wiki?.environment).toEqual({ WIKI_BASE_URL: "https://wiki.example.org", WIKI_TITLE: "Team wiki" });
    expect(stacks[1]?.services[0]?.container.environment).toMatchObject({ DB_PASSWORD: "x", LOG_LEVEL: "info" });
  });

  it("validates in a pull request with one warning: the password only the host sets", async () => {
    const { notes } = loadManifest(await read());
    expect(notes).toEqual([
      expect.objectContaining({
        file: "hosts/web-1/shop/compose.yaml",
        path: "services.api.environment.DB_PASSWORD",
        message: expect.stringMatching(/the host must set it in \/etc\/gitdock\/env\/shop.env/),
      }),
    ]);
  });

  it("deploys the debug profile's service only where the host activates it", async () => {
    const { stacks } = loadManifest(await read(), { hostVariables: hostVariables({ SHOP_DB_PASSWORD: "x" }), profiles: ["debug"] });
    expect(stacks[2]?.services.map((s) => s.name)).toEqual(["adminer", "wiki"]);
  });
});
