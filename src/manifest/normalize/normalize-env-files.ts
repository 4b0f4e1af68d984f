import type { EnvFileSource } from "../../model.js";
import type { StackFiles } from "../files/commit-files.js";
import type { ProblemSink } from "../problems.js";

type EnvFileInput = string | (string | { path: string; required?: boolean | undefined })[];

/**
 * `env_file` in order (later files override earlier ones), one entry per item written. An
 * absolute path is a file on the host, read when gitdock plans; a relative one is a file of the
 * repository, relative to the file that wrote it, read here from the commit's tree (`files` is the
 * service's `env_file`).
 * `required: false` is refused for host files: the desired-state model has no optional host files,
 * and reading a file that might be missing would make the spec hash depend on the host's weather.
 * A file of the repository is there or not in the commit, so it may be optional.
 */
export function normalizeEnvFiles(input: EnvFileInput | undefined, files: StackFiles, problems: ProblemSink): EnvFileSource[] {
  if (input === undefined) return [];
  if (typeof input === "string") return checkedSource(input, true, [], files, problems);
  return input.flatMap((entry, i) => {
    if (typeof entry === "string") return checkedSource(entry, true, [i], files, problems);
    const required = entry.required ?? true;
    if (!required && entry.path.startsWith("/")) {
      problems.report([i, "required"], "optional env files on the host (required: false) are not supported; every host env_file must exist on the host");
    }
    return checkedSource(entry.path, required, [i, "path"], files, problems);
  });
}

function checkedSource(path: string, required: boolean, at: (string | number)[], files: StackFiles, problems: ProblemSink): EnvFileSource[] {
  if (path.startsWith("/")) return [path];
  const fromRepo = files.envFile(path, required, at);
  if (!("error" in fromRepo)) return [fromRepo];
  problems.report(at, fromRepo.error);
  return [];
}
