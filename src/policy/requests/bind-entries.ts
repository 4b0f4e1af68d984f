import type { RequestScope } from "./request-scope.js";
import { describe, finding, type Finding } from "./walk-fields.js";

/** One `HostConfig.Binds` entry, split the way the Engine splits it on Linux: `source:target[:options]`. */
export interface BindEntry {
  source: string;
  target: string;
  options: string[];
  readOnly: boolean;
}

export function parseBindEntry(entry: string): BindEntry | undefined {
  const parts = entry.split(":");
  if (parts.length < 2 || parts.length > 3) return undefined;
  const [source = "", target = "", mode = ""] = parts;
  const options = mode === "" ? [] : mode.split(",");
  return { source, target, options, readOnly: options.includes("ro") };
}

/** What a bind may say besides its paths: read-only or not, SELinux relabeling, propagation that stays in the container. */
const OPTION_GROUPS: [string, readonly string[]][] = [
  ["access", ["ro", "rw"]],
  ["SELinux label", ["z", "Z"]],
  ["propagation", ["private", "rprivate", "slave", "rslave"]],
];

/**
 * A `Binds` entry judged like a bind in `Mounts` (container-fields.ts `bindSource`: under the bind
 * roots, never the agent's own files or the Docker socket unless listed), plus its options. gitdock
 * sends Binds only for SELinux relabeling (API 1.41's Mounts cannot ask for it); a named volume
 * there would skip the volume rules, so only host paths are allowed.
 */
export function judgeBindEntry(
  value: unknown,
  field: string,
  scope: RequestScope,
  bindSource: (source: string, readOnly: boolean, field: string, scope: RequestScope) => Finding[],
): Finding[] {
  const bind = typeof value === "string" ? parseBindEntry(value) : undefined;
  if (!bind) return finding(field, `expected "source:target[:options]", got ${describe(value)}`);
  if (!bind.source.startsWith("/"))
    return finding(field, `bind source ${describe(bind.source)} is not a host path; volumes must be sent as Mounts, where the volume rules apply`);
  const out: Finding[] = [];
  if (!bind.target.startsWith("/")) out.push({ field, message: `bind target ${describe(bind.target)} is not an absolute path` });
  for (const option of bind.options) {
    if (option === "shared" || option === "rshared")
      out.push({ field, message: `mount propagation "${option}" would let mounts cross between the container and the host` });
    else if (!OPTION_GROUPS.some(([, values]) => values.includes(option)))
      out.push({ field, message: `bind option ${describe(option)} is not one the host policy knows (ro, rw, z, Z, private, rprivate, slave, rslave)` });
  }
  for (const [what, values] of OPTION_GROUPS) {
    if (bind.options.filter((o) => values.includes(o)).length > 1) out.push({ field, message: `bind options give the ${what} twice` });
  }
  return [...out, ...bindSource(bind.source, bind.readOnly, field, scope)];
}
