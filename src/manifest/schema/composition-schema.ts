import { z } from "zod";
import { stringOrList } from "./schema-primitives.js";

/**
 * The keys that put a stack together from several files or services: `profiles`, `extends` and
 * `include`. `extends` and `include` are resolved before the schema sees the merged document
 * (merge/resolve-extends.ts, merge/resolve-include.ts, which report their own mistakes); they are
 * here so the editor JSON Schema knows them.
 */

const PROFILE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const profilesSchema = z
  .array(z.string().regex(PROFILE, { error: 'a profile name is letters, digits, "_", "." and "-", starting with a letter or digit' }))
  .describe("Deploy this service only when one of these profiles is active on the host (manifest.profiles in the agent's config). A service without profiles is always deployed.");

export const extendsSchema = z
  .union([
    z.string(),
    z.strictObject({
      service: z.string().describe("The service to take settings from."),
      file: z.string().optional().describe("The file it is in, relative to this file and inside the host's directory. Default: this file."),
    }),
  ])
  .describe("Take another service's settings; this service's own settings are merged over them.");

export const includeSchema = z
  .array(
    z.union([
      z.string(),
      z.strictObject({
        path: stringOrList.describe("Compose file(s) of the included project, relative to this file and inside the host's directory; several are merged."),
        env_file: stringOrList.optional().describe("Files with variables for the included files (default: the .env next to them)."),
      }),
    ]),
  )
  .describe("Compose files whose services, networks, volumes and secrets are added to this stack; a name defined twice is an error.");
