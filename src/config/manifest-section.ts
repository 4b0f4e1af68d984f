import { z } from "zod";
import { CONFIG_DEFAULTS } from "./defaults.js";

const D = CONFIG_DEFAULTS.manifest;

/**
 * How this host reads its manifests: where its variables for `${VAR}` are (one file per project,
 * owned by the host's root, never in Git), whether the agent's own environment may supply them,
 * and which Compose profiles are active here. The config file's `manifest:` section.
 */
export const manifestSectionSchema = z
  .strictObject({
    variables_dir: z
      .string()
      .startsWith("/", { error: "must be an absolute path" })
      .describe(
        `Directory of the host's variables files: <variables_dir>/<project>.env (KEY=VALUE lines) holds the values of \${VAR} for that project and wins over the repository's .env. Must lie under security.policy.env_file_roots; never one of the agent's own files (default ${D.variables_dir})`,
      )
      .optional(),
    process_environment: z
      .boolean()
      .describe(
        `Let the agent's own environment supply variables (below the host's files, above the repository's .env). Names starting with GITDOCK_ never are. Default ${D.process_environment}: whoever writes a commit could read any of the agent's variables into a container`,
      )
      .optional(),
    profiles: z
      .array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, { error: "a profile name is letters, digits, _, . and -" }))
      .describe("Compose profiles active on this host: a service with profiles: is deployed only when one of them is listed here (default none)")
      .optional(),
  })
  .describe("How this host reads its manifests: host variables, the agent's environment, active profiles.");

export type ManifestSectionInput = z.infer<typeof manifestSectionSchema>;

export interface ManifestSection {
  variablesDir: string;
  /** True when `variables_dir` was set in the config (a default outside env_file_roots is then an error, not silence). */
  variablesDirSet: boolean;
  processEnvironment: boolean;
  profiles: string[];
}

export function manifestSectionDefaults(raw: ManifestSectionInput | undefined): ManifestSection {
  return {
    variablesDir: (raw?.variables_dir ?? D.variables_dir).replace(/(.)\/+$/, "$1"),
    variablesDirSet: raw?.variables_dir !== undefined,
    processEnvironment: raw?.process_environment ?? D.process_environment,
    profiles: [...(raw?.profiles ?? D.profiles)],
  };
}
