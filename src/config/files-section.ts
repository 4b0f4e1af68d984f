import { posix } from "node:path";
import { z } from "zod";
import type { RepoFileSettings } from "../manifest/files/commit-files.js";
import { storeDirOf } from "../manifest/files/store-layout.js";
import { CONFIG_DEFAULTS } from "./defaults.js";

const DEFAULT_DATA_ROOT = CONFIG_DEFAULTS.files.data_root;

/**
 * Where this host keeps what stacks mount by relative paths (src/files/): files of the repository
 * in gitdock's store under the state directory, and data directories (relative paths the
 * repository does not hold) under `files.data_root`. Parsed values are handed over as `settings.files`.
 */
export const filesSectionSchema = z
  .strictObject({
    data_root: z
      .string()
      .startsWith("/", { error: "must be an absolute path" })
      .refine((p) => !p.split("/").includes(".."), { error: "must not contain .." })
      .describe(
        `Data directories are <data_root>/<project>/<path>: created on first use, never deleted. Must lie within security.policy.bind_roots. Default ${DEFAULT_DATA_ROOT}`,
      )
      .optional(),
  })
  .describe("Files from the repository and data directories");

export type FilesSectionInput = z.infer<typeof filesSectionSchema>;

export interface FilesSection {
  dataRoot: string;
}

export function filesSectionDefaults(raw: FilesSectionInput | undefined): FilesSection {
  return { dataRoot: posix.normalize(raw?.data_root ?? DEFAULT_DATA_ROOT).replace(/(.)\/+$/, "$1") };
}

/** The store (under the state directory) and the data root, as the manifest stage needs them. */
export function repoFileSettingsOf(settings: { stateDir: string; files: FilesSection }): RepoFileSettings {
  return { store: storeDirOf(settings.stateDir), dataRoot: settings.files.dataRoot };
}
