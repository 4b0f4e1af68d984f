/**
 * Writes the editor JSON Schemas into a directory:
 * `node dist/manifest/write-json-schema.js schema` (`npm run schema`) writes
 * schema/compose.schema.json and schema/stack-index.schema.json. A unit test regenerates them in
 * memory and compares them with the committed files.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderJsonSchema, renderStackIndexJsonSchema } from "./build-json-schema.js";

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: write-json-schema <directory>\n");
  process.exitCode = 2;
} else {
  for (const [name, text] of [
    ["compose.schema.json", renderJsonSchema()],
    ["stack-index.schema.json", renderStackIndexJsonSchema()],
  ] as const) {
    writeFileSync(join(dir, name), text);
    process.stdout.write(`wrote ${join(dir, name)}\n`);
  }
}
