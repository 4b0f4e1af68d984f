/**
 * Writes the editor JSON Schema: `node dist/manifest/write-json-schema.js schema/compose.schema.json`
 * (`npm run schema`). A unit test regenerates it in memory and compares it with the committed file.
 */
import { writeFileSync } from "node:fs";
import { renderJsonSchema } from "./build-json-schema.js";

const target = process.argv[2];
if (target === undefined) {
  process.stderr.write("usage: write-json-schema <output.json>\n");
  process.exitCode = 2;
} else {
  writeFileSync(target, renderJsonSchema());
  process.stdout.write(`wrote ${target}\n`);
}
