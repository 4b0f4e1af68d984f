import type { BindMountSpec, MountSpec } from "../../model.js";
import { isRelativeHostPath } from "../files/repo-path.js";
import type { DocPath } from "../format-path.js";
import { parseByteSize } from "./parse-byte-size.js";

type BindMount = BindMountSpec;
type TmpfsMount = Extract<MountSpec, { type: "tmpfs" }>;

/**
 * A mount as written: a volume still names its key under top-level `volumes:`, not the Engine
 * name; a relative bind source is still the path as written (a file of the repository or a data
 * directory, told apart against the commit's tree), with `readOnly` undefined unless written.
 */
export type MountDraft =
  { type: "volume"; key: string | undefined; target: string; readOnly: boolean; nocopy: boolean } | BindMount | TmpfsMount | RelativeBind;

export interface RelativeBind {
  type: "relative";
  path: string;
  target: string;
  readOnly: boolean | undefined;
  createHostPath: boolean;
  selinux?: "z" | "Z";
}

export interface MountProblem {
  message: string;
  /** Where in a long-syntax mount; the whole entry when absent. */
  at?: DocPath;
}

/** The mount, or every problem it has (all of them at once, not only the first). */
export type MountResult = { mount: MountDraft } | { problems: MountProblem[] };

export interface LongMountInput {
  type: "volume" | "bind" | "tmpfs";
  source?: string | undefined;
  target: string;
  read_only?: boolean | undefined;
  volume?: { nocopy?: boolean | undefined } | undefined;
  bind?: { create_host_path?: boolean | undefined; selinux?: "z" | "Z" | undefined } | undefined;
  tmpfs?: { size?: string | number | undefined } | undefined;
}

const SHORT_HINT = 'expected "volume:/path", "/host/path:/path", "./path:/path" or "/path", optionally followed by ":ro", ":z" or ":Z"';

/** `source:target[:mode]` or a bare container path (an anonymous volume). */
export function parseShortMount(text: string): MountResult {
  const parts = text.split(":");
  if (parts.length > 3 || parts.some((p) => p === "")) return { problems: [{ message: SHORT_HINT }] };
  const [first = "", second, writtenMode] = parts;
  const mode = writtenMode ?? "rw";
  const target = second ?? first;
  const source = second === undefined ? undefined : first;
  const problems: MountProblem[] = [];
  const fail = (message: string | undefined) => message !== undefined && problems.push({ message });
  fail(checkTarget(target));
  const options = new Set(mode.split(","));
  const unknown = [...options].filter((o) => !["ro", "rw", "nocopy", "z", "Z"].includes(o));
  if (unknown.length > 0) fail(`unsupported mount mode "${unknown.join(",")}"; use ro or rw, and z or Z for SELinux relabeling`);
  if (options.has("ro") && options.has("rw")) fail('mode cannot be both "ro" and "rw"');
  if (options.has("z") && options.has("Z")) fail('mode cannot be both "z" (shared) and "Z" (private)');
  const readOnly = options.has("ro");
  const selinux = options.has("z") ? "z" : options.has("Z") ? "Z" : undefined;
  const absolute = source !== undefined && source.startsWith("/");
  const relative = source !== undefined && !absolute && isRelativeHostPath(source);
  if ((absolute || relative) && options.has("nocopy")) fail('"nocopy" applies to volumes, not bind mounts');
  if (!absolute && !relative && selinux) fail(`"${selinux}" relabels a host directory for SELinux; it applies to bind mounts (a host path), not volumes`);
  if (problems.length > 0) return { problems };
  // Compose's short syntax creates a missing host directory; keep that behaviour.
  if (absolute) return { mount: bindMount(source, target, readOnly, true, selinux) };
  if (relative) {
    // As written (`:Z` alone says nothing about access): undefined lets a file of the repository default to read-only.
    const access = options.has("ro") ? true : writtenMode !== undefined && options.has("rw") ? false : undefined;
    return { mount: relativeBind(source, target, access, true, selinux) };
  }
  return { mount: { type: "volume", key: source, target, readOnly, nocopy: options.has("nocopy") } };
}

export function parseLongMount(input: LongMountInput): MountResult {
  const problems: MountProblem[] = [];
  const targetError = checkTarget(input.target);
  if (targetError) problems.push({ message: targetError, at: ["target"] });
  for (const misplaced of (["volume", "bind", "tmpfs"] as const).filter((t) => t !== input.type && input[t] !== undefined)) {
    problems.push({ message: `only applies to type: ${misplaced}`, at: [misplaced] });
  }
  const result = input.type === "volume" ? longVolume(input) : input.type === "bind" ? longBind(input) : longTmpfs(input);
  if ("problems" in result) problems.push(...result.problems);
  return problems.length > 0 ? { problems } : result;
}

function longVolume(input: LongMountInput): MountResult {
  const sourceError = input.source === undefined ? undefined : checkVolumeKey(input.source);
  if (sourceError) return { problems: [{ message: sourceError, at: ["source"] }] };
  const readOnly = input.read_only ?? false;
  const nocopy = input.volume?.nocopy ?? false;
  return { mount: { type: "volume", key: input.source, target: input.target, readOnly, nocopy } };
}

function longBind(input: LongMountInput): MountResult {
  if (input.source === undefined)
    return { problems: [{ message: "a bind mount needs a source (an absolute host path, or a path relative to the compose file)" }] };
  const createHostPath = input.bind?.create_host_path ?? true;
  const selinux = input.bind?.selinux;
  const problems: MountProblem[] = [];
  if (selinux && !createHostPath) {
    problems.push({
      message: "cannot be combined with create_host_path: false: SELinux relabeling goes through the Engine's legacy bind form, which creates a missing source",
      at: ["bind", "selinux"],
    });
  }
  // The legacy bind form is `source:target:options`: a ":" or "," in a path would be read as a separator.
  if (selinux && /[:,]/.test(`${input.source}${input.target}`)) {
    problems.push({ message: 'a bind mount with SELinux relabeling cannot have ":" or "," in its paths', at: ["bind", "selinux"] });
  }
  if (problems.length > 0) return { problems };
  if (!input.source.startsWith("/")) return { mount: relativeBind(input.source, input.target, input.read_only, createHostPath, selinux) };
  return { mount: bindMount(input.source, input.target, input.read_only ?? false, createHostPath, selinux) };
}

function relativeBind(path: string, target: string, readOnly: boolean | undefined, createHostPath: boolean, selinux: "z" | "Z" | undefined): RelativeBind {
  const mount: RelativeBind = { type: "relative", path, target, readOnly, createHostPath };
  if (selinux) mount.selinux = selinux;
  return mount;
}

/** Keys in the model's order; `selinux` only when asked, so binds without it keep their spec hash. */
function bindMount(source: string, target: string, readOnly: boolean, createHostPath: boolean, selinux: "z" | "Z" | undefined): BindMount {
  const mount: BindMount = { type: "bind", source, target, readOnly, createHostPath };
  if (selinux) mount.selinux = selinux;
  return mount;
}

function longTmpfs(input: LongMountInput): MountResult {
  const problems: MountProblem[] = [];
  if (input.source !== undefined) problems.push({ message: "a tmpfs mount has no source", at: ["source"] });
  if (input.read_only) problems.push({ message: "read-only tmpfs mounts are not supported", at: ["read_only"] });
  const size = input.tmpfs?.size;
  const sizeBytes = size === undefined ? undefined : parseByteSize(size);
  if (size !== undefined && sizeBytes === undefined) problems.push({ message: 'expected a size like "64m"', at: ["tmpfs", "size"] });
  return problems.length > 0 ? { problems } : { mount: { type: "tmpfs", target: input.target, sizeBytes } };
}

function checkTarget(target: string): string | undefined {
  return target.startsWith("/") ? undefined : `container path "${target}" must be absolute`;
}

/** A volume's source is a key under top-level `volumes:`; a path belongs to a bind mount. */
function checkVolumeKey(source: string): string | undefined {
  if (source.startsWith("/") || isRelativeHostPath(source)) return `"${source}" is a path, not a volume key; use type: bind for a bind mount`;
  return undefined;
}
