import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildJsonSchema, buildStackIndexJsonSchema, renderJsonSchema, renderStackIndexJsonSchema } from "../../src/manifest/build-json-schema.js";

const COMMITTED = "schema/compose.schema.json";

describe("manifest: JSON Schema for editors", () => {
  it("matches the committed schema/compose.schema.json (run `npm run schema` after changing the zod schema)", () => {
    expect(readFileSync(COMMITTED, "utf8")).toBe(renderJsonSchema());
  });

  it("lets every strict mapping carry x-* extension keys", () => {
    const text = renderJsonSchema();
    const strict = text.match(/"additionalProperties": false/g)?.length ?? 0;
    const extensions = text.match(/"\^x-": \{\}/g)?.length ?? 0;
    expect(strict).toBeGreaterThan(10);
    expect(extensions).toBe(strict);
  });

  it("describes the top level and requires services", () => {
    const schema = buildJsonSchema() as { required?: string[]; properties?: Record<string, unknown> };
    expect(schema.required).toEqual(["services"]);
    expect(Object.keys(schema.properties ?? {})).toEqual(["version", "name", "services", "networks", "volumes", "secrets", "configs", "include"]);
  });

  it("matches the committed schema/stack-index.schema.json (gitdock.yaml)", () => {
    expect(readFileSync("schema/stack-index.schema.json", "utf8")).toBe(renderStackIndexJsonSchema());
    expect(buildStackIndexJsonSchema()).toMatchObject({ required: ["files"], properties: { files: { type: "array", minItems: 1 } } });
  });
});
