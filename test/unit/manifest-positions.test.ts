import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/errors.js";
import { FILE, IMAGE, problems } from "../fixtures/manifest/helpers.js";

const RICH_ERRORS = [
  "services:", //                                  1
  "  web:", //                                     2
  "    image: nginx:1.27", //                      3  unpinned: value at 3:12
  "    build: .", //                               4  unsupported key: key at 4:5
  "    ports:", //                                 5
  '      - "8080:80"', //                          6
  "      - true", //                               7  wrong type: value at 7:9
  "    deploy:", //                                8
  "      replicas: many", //                       9  wrong type: value at 9:17
  "  db:", //                                      10 missing image: parent key at 10:3
  "    command: [run]", //                         11
].join("\n");

describe("manifest: problem positions", () => {
  it("points at the offending value, the unknown key, or the parent of a missing key", () => {
    const found = problems(RICH_ERRORS);
    expect(found.map((p) => [p.line, p.col, p.path])).toEqual([
      [3, 12, "services.web.image"],
      [4, 5, "services.web.build"],
      [7, 9, "services.web.ports[1]"],
      [9, 17, "services.web.deploy.replicas"],
      [10, 3, "services.db.image"],
    ]);
    for (const p of found) expect(p.file).toBe(FILE);
  });

  it("renders as file:line:col: path: message", () => {
    const [first] = problems(RICH_ERRORS);
    expect(first && formatProblem(first)).toMatch(/^stacks\/app\/compose\.yaml:3:12: services\.web\.image: not pinned by digest/);
  });

  it("points at keys in flow mappings and at list items", () => {
    const yaml = `services:\n  web: {image: "${IMAGE}", ports: ["80", "x"], labels: {a: 1, b: [2]}}\n`;
    const found = problems(yaml);
    const at = (path: string) => found.find((p) => p.path === path);
    expect(at("services.web.ports[1]")).toMatchObject({ line: 2, col: yaml.split("\n")[1]!.indexOf('"x"') + 1 });
    expect(at("services.web.labels.b")).toMatchObject({ line: 2, col: yaml.split("\n")[1]!.indexOf("[2]") + 1 });
  });

  it("points at a key with an empty value", () => {
    // (`environment: {FOO: }` was the example; it now passes FOO through from the host.)
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n    deploy:\n      replicas:\n`);
    expect(found).toEqual([expect.objectContaining({ path: "services.web.deploy.replicas", line: 5, col: 7 })]);
  });

  it("points at the document's first key for a problem about the whole file", () => {
    const found = problems([{ path: "compose.yaml", content: `# comment\n\nservices:\n  web:\n    image: ${IMAGE}\n` }], "");
    expect(found).toEqual([expect.objectContaining({ path: "", line: 3, col: 1 })]);
  });

  it("gives every problem a line and a column from 1", () => {
    for (const p of problems(RICH_ERRORS)) {
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.col).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("manifest: every problem at once", () => {
  it("reports three problems in one file as three", () => {
    const yaml = ["services:", "  web:", "    image: nginx:latest", "    build: .", "    restart: sometimes"].join("\n");
    expect(problems(yaml).map((p) => p.path)).toEqual(["services.web.image", "services.web.build", "services.web.restart"]);
  });

  it("keeps checking a service after its schema problems", () => {
    const yaml = ["services:", "  web:", "    image: nginx", "    ports: [true]", "    depends_on: [nope]", "    volumes: ['~/x:/x']"].join("\n");
    expect(problems(yaml).map((p) => p.path)).toEqual(["services.web.image", "services.web.ports[0]", "services.web.depends_on[0]", "services.web.volumes[0]"]);
  });

  it("reports problems in several services and files together", () => {
    const found = problems([
      { path: "stacks/a/compose.yaml", content: "services:\n  x:\n    image: a\n  y:\n    image: b\n" },
      { path: "stacks/b/compose.yaml", content: "services:\n  x:\n    build: .\n" },
    ]);
    expect(found.map((p) => `${p.file} ${p.path}`)).toEqual([
      "stacks/a/compose.yaml services.x.image",
      "stacks/a/compose.yaml services.y.image",
      "stacks/b/compose.yaml services.x.image",
      "stacks/b/compose.yaml services.x.build",
    ]);
  });
});

describe("manifest: every problem of one entry", () => {
  it("lists both problems of a mount with two, at the entry", () => {
    // A relative bind source is a file of the repository or a data directory: `nocopy` is its second problem.
    const found = problems(`services:\n  web:\n    image: ${IMAGE}\n    volumes: ["./data:data:nocopy"]\n`);
    expect(found.map((p) => [p.path, p.line, p.col, p.message.split(" ").slice(0, 3).join(" ")])).toEqual([
      ["services.web.volumes[0]", 4, 15, 'container path "data"'],
      ["services.web.volumes[0]", 4, 15, '"nocopy" applies to'],
    ]);
  });
});
