import type { ConfigMountSpec } from "../../model.js";
import { byCodePoint } from "../../order.js";
import type { FileAttributes, StackFiles } from "../files/commit-files.js";
import { hasSpecialBits, octal, parseFileMode } from "../parse/parse-file-mode.js";
import { scopedSink, type ProblemSink } from "../problems.js";
import type { ConfigInput } from "../schema/files-schema.js";
import type { ServiceInput } from "../schema/service-schema.js";
import type { WrittenScalar } from "../yaml/written-scalar.js";
import type { ConfigSource, StackContext } from "./stack-context.js";

const CONFIG_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Top-level `configs:`. A config is content from the repository, never from the host: `file:` is
 * relative to the file that wrote it and must name a file of the commit's tree (inside the host's
 * directory); `content:` is the content inline. `files` is the stack's top-level `configs:`.
 */
export function normalizeStackConfigs(input: [string, ConfigInput][], files: StackFiles, problems: ProblemSink): Map<string, ConfigSource> {
  const out = new Map<string, ConfigSource>();
  for (const [key, config] of input) {
    const at = scopedSink(problems, [key]);
    if (!CONFIG_NAME.test(key)) {
      // The key is the default target, /<key>: no "/", no "." or "..".
      problems.report([key], `"${key}" can only contain letters, digits, ".", "_" and "-", and must start with a letter or digit`, "key");
      continue;
    }
    const source = configSource(config, files.under([key]), at);
    if (source) out.set(key, source);
  }
  return out;
}

function configSource(config: ConfigInput, files: StackFiles, problems: ProblemSink): ConfigSource | undefined {
  if ((config.file === undefined) === (config.content === undefined)) {
    problems.report([], "a config needs exactly one of file: (a file of the repository) or content:");
    return undefined;
  }
  if (config.content !== undefined) return { content: config.content };
  const file = config.file as string;
  if (file.startsWith("/")) {
    problems.report(
      ["file"],
      `"${file}" is a host path; a config comes from the repository: write a path relative to the compose file (for a file on the host, use a read-only bind mount under volumes)`,
    );
    return undefined;
  }
  const found = files.configFileAt(file, ["file"]);
  if ("error" in found) {
    problems.report(["file"], found.error);
    return undefined;
  }
  return found;
}

/**
 * A service's `configs:`, each a file of gitdock's store mounted read-only at its target (default
 * `/<source>`, a relative target is taken from `/`, as in Compose), with the mode and owner asked
 * for (default 0444, root). Sorted by target.
 */
export function normalizeServiceConfigs(
  input: NonNullable<ServiceInput["configs"]>,
  ctx: StackContext,
  written: WrittenScalar,
  problems: ProblemSink,
): ConfigMountSpec[] {
  const out: ConfigMountSpec[] = [];
  const targets = new Set<string>();
  for (const [i, entry] of input.entries()) {
    const long = typeof entry === "string" ? undefined : entry;
    const source = long?.source ?? (entry as string);
    const target = absoluteTarget(long?.target ?? source);
    if (!ctx.configSources.has(source)) {
      problems.report(long ? [i, "source"] : [i], `config "${source}" is not declared under the top-level configs:`);
      continue;
    }
    if (targets.has(target)) problems.report([i], `another config is already mounted at ${target}`);
    targets.add(target);
    const attrs = long ? attributes(long, (p) => written([i, ...p]), scopedSink(problems, [i])) : {};
    const from = ctx.configSources.get(source);
    if (from === undefined || attrs === undefined) continue;
    const file = "repoPath" in from ? ctx.files.configFile(from.repoPath, attrs) : ctx.files.configContent(from.content, attrs);
    if (typeof file !== "string") problems.report([i], file.error);
    else out.push({ source, target, file });
  }
  return out.sort((a, b) => byCodePoint(a.target, b.target));
}

function absoluteTarget(target: string): string {
  return target.startsWith("/") ? target : `/${target}`;
}

type LongEntry = Exclude<NonNullable<ServiceInput["configs"]>[number], string>;

/** `uid`, `gid` and `mode` of a config; undefined when one of them is refused (reported). */
function attributes(entry: LongEntry, written: WrittenScalar, problems: ProblemSink): FileAttributes | undefined {
  const attrs: FileAttributes = {};
  if (entry.uid !== undefined) attrs.uid = Number(entry.uid);
  if (entry.gid !== undefined) attrs.gid = Number(entry.gid);
  if (entry.mode === undefined) return attrs;
  const parsed = parseFileMode(entry.mode, written(["mode"]));
  if ("error" in parsed) {
    problems.report(["mode"], parsed.error);
    return undefined;
  }
  if (hasSpecialBits(parsed.mode)) {
    problems.report(
      ["mode"],
      `mode ${octal(parsed.mode)} has setuid, setgid or sticky bits, which a file from the repository never gets; use permission bits only (like 0440)`,
    );
    return undefined;
  }
  attrs.mode = parsed.mode;
  return attrs;
}
