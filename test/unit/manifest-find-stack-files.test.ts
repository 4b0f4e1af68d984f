import { describe, expect, it } from "vitest";
import { COMPOSE_FILE_NAMES, findStackFiles } from "../../src/manifest/index.js";

const TREE = [
  "README.md",
  "compose.yaml",
  "stacks/compose.yml",
  "stacks/web/compose.yaml",
  "stacks/web/docker-compose.yml",
  "stacks/db/docker-compose.yaml",
  "stacks/db/init.sql",
  "stacks/deep/nested/compose.yaml",
  "stacks/notes/compose.yaml.bak",
  "stacks-old/x/compose.yaml",
  "other/y/compose.yaml",
];

describe("manifest: findStackFiles", () => {
  it("knows Compose's four file names", () => {
    expect(COMPOSE_FILE_NAMES).toEqual(["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]);
  });

  it("finds compose files in the root and one directory below, sorted", () => {
    expect(findStackFiles(TREE, "stacks")).toEqual([
      "stacks/compose.yml",
      "stacks/db/docker-compose.yaml",
      "stacks/web/compose.yaml",
      "stacks/web/docker-compose.yml",
    ]);
  });

  it("treats '' as the repository root", () => {
    expect(findStackFiles(TREE, "")).toEqual(["compose.yaml", "stacks/compose.yml"]);
  });

  it.each(["stacks/", "./stacks", "./stacks/", "/stacks"])("normalizes the root %j", (root) => {
    expect(findStackFiles(TREE, root)).toEqual(findStackFiles(TREE, "stacks"));
  });

  it.each([".", "/", "./"])("reads %j as the repository root", (root) => {
    expect(findStackFiles(TREE, root)).toEqual(findStackFiles(TREE, ""));
  });

  it("finds nothing under a root that does not exist", () => {
    expect(findStackFiles(TREE, "nope")).toEqual([]);
  });

  it("returns both files when a directory has two (loadStacks reports it)", () => {
    expect(findStackFiles(["a/compose.yaml", "a/compose.yml"], "")).toEqual(["a/compose.yaml", "a/compose.yml"]);
  });

  it("does not repeat a path given twice", () => {
    expect(findStackFiles(["a/compose.yaml", "a/compose.yaml"], "")).toEqual(["a/compose.yaml"]);
  });
});
