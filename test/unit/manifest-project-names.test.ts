import { describe, expect, it } from "vitest";
import { IMAGE, load, problems } from "../fixtures/manifest/helpers.js";

const BODY = `services:\n  web:\n    image: ${IMAGE}\n`;

describe("manifest: project names", () => {
  it.each([
    ["the file's name:", "stacks/dir/compose.yaml", "stacks", `name: shop_2\n${BODY}`, "shop_2"],
    ["the directory's name", "stacks/billing/compose.yaml", "stacks", BODY, "billing"],
    ["the directory's name, normalized like Compose", "stacks/My App.v2/compose.yml", "stacks", BODY, "myappv2"],
    ["leading - and _ trimmed like Compose", "stacks/_Web/docker-compose.yml", "stacks", BODY, "web"],
    ["a file directly in the root takes the root's basename", "deploy/stacks/compose.yaml", "deploy/stacks", BODY, "stacks"],
    ["a root-level file given without a directory takes the root's basename", "compose.yaml", "/srv/shop", BODY, "shop"],
    ["a root-level file with name:", "compose.yaml", "", `name: site\n${BODY}`, "site"],
  ])("uses %s", (_what, path, root, yaml, project) => {
    expect(load(yaml, path, root)[0]?.project).toBe(project);
  });

  it.each([
    ["a file at the repository root without name:", "compose.yaml", "", BODY, "", /repository root.*set a top-level name:/],
    ["a directory name with nothing usable", "stacks/ÜÜ/compose.yaml", "stacks", BODY, "", /directory name "ÜÜ".*set a top-level name:/],
    ["an invalid name:", "stacks/a/compose.yaml", "stacks", `name: My-App\n${BODY}`, "name", /"My-App" is not a valid project name/],
    ["a name: starting with -", "stacks/a/compose.yaml", "stacks", `name: -app\n${BODY}`, "name", /not a valid project name/],
    ["a name: that is not a string", "stacks/a/compose.yaml", "stacks", `name: [a]\n${BODY}`, "name", /expected a string/],
  ])("refuses %s", (_what, path, root, yaml, problemPath, message) => {
    const found = problems([{ path, content: yaml }], root);
    expect(found).toEqual([expect.objectContaining({ file: path, path: problemPath, message: expect.stringMatching(message) })]);
  });
});
