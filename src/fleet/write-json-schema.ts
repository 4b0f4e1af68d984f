/**
 * Writes the fleet file's JSON Schema into a directory: `node dist/fleet/write-json-schema.js schema`
 * (part of `npm run schema`) writes schema/fleet.schema.json. A unit test compares it with the zod schema.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderFleetJsonSchema } from "./fleet-json-schema.js";

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: write-json-schema <directory>\n");
  process.exitCode = 2;
} else {
  const file = join(dir, "fleet.schema.json");
  writeFileSync(file, renderFleetJsonSchema());
  process.stdout.write(`wrote ${file}\n`);
}
