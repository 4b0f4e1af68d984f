/**
 * Writes the agent config's JSON Schema into a directory: `node dist/config/write-json-schema.js
 * schema` (part of `npm run schema`) writes schema/agent-config.schema.json. A unit test
 * regenerates it in memory and compares it with the committed file.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderAgentConfigJsonSchema } from "./build-json-schema.js";

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: write-json-schema <directory>\n");
  process.exitCode = 2;
} else {
  const file = join(dir, "agent-config.schema.json");
  writeFileSync(file, renderAgentConfigJsonSchema());
  process.stdout.write(`wrote ${file}\n`);
}
