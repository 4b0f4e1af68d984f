import type { ProblemSink } from "../problems.js";

type EnvFileInput = string | (string | { path: string; required?: boolean | undefined })[];

/**
 * `env_file` as absolute host paths, in order (later files override earlier ones). They are read
 * on the host when gitdock plans, so a path relative to a checkout would mean nothing.
 * `required: false` is refused: the desired-state model has no optional env files, and reading a
 * file that might be missing would make the spec hash depend on the host's weather.
 */
export function normalizeEnvFiles(input: EnvFileInput | undefined, problems: ProblemSink): string[] {
  if (input === undefined) return [];
  if (typeof input === "string") return checkedPath(input, [], problems);
  return input.flatMap((entry, i) => {
    if (typeof entry === "string") return checkedPath(entry, [i], problems);
    if (entry.required === false) {
      problems.report([i, "required"], "optional env files (required: false) are not supported; every env_file must exist on the host");
    }
    return checkedPath(entry.path, [i, "path"], problems);
  });
}

function checkedPath(path: string, at: (string | number)[], problems: ProblemSink): string[] {
  if (path.startsWith("/")) return [path];
  problems.report(at, `relative path "${path}" is not supported: env files are read on the host, so use an absolute host path`);
  return [];
}
