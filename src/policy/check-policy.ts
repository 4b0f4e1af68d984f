import type { ManifestProblem } from "../errors.js";
import type { DesiredStack } from "../model.js";
import { formatPath } from "../manifest/format-path.js";
import { guardedPaths, type GuardedPaths } from "./guarded-paths.js";
import type { HostPolicy } from "./host-policy.js";
import { parseInterval, type PortInterval } from "./port-ranges.js";
import { SERVICE_RULES, stackViolations, type DocPath } from "./policy-rules.js";

/**
 * Where the stacks were written, so a violation can point at its file:line:col. The manifest
 * stage provides it (`loadManifest`); without it every violation is reported at 1:1 of its file.
 */
export interface PolicySources {
  /** `file` in the answer: where the text is when another file wrote it (an override, extended or included file). */
  locate(file: string, path: DocPath): { line: number; col: number; file?: string };
  /** The value written at `path` (after YAML anchors and merges), to find a list item by its value. */
  valueAt(file: string, path: DocPath): unknown;
}

const NO_SOURCES: PolicySources = { locate: () => ({ line: 1, col: 1 }), valueAt: () => undefined };

/**
 * The host policy over valid stacks. Pure: no I/O, no Docker. Returns every violation, sorted by
 * file, line and column; an empty list means the commit may run on this host.
 */
export function checkPolicy(
  stacks: readonly DesiredStack[],
  policy: HostPolicy,
  sources: PolicySources = NO_SOURCES,
  guarded: GuardedPaths = guardedPaths([]),
): ManifestProblem[] {
  const ports = policy.publishedPorts.map(parseInterval).filter((p): p is PortInterval => p !== undefined);
  const problems: ManifestProblem[] = [];
  for (const stack of stacks) {
    const raw = (path: DocPath) => sources.valueAt(stack.file, path);
    const violations = [
      ...stackViolations(stack, policy, guarded),
      ...stack.services.flatMap((service) => SERVICE_RULES.flatMap((rule) => rule({ stack, service, policy, ports, raw, guarded }))),
    ];
    for (const { path, message } of violations) {
      const pos = sources.locate(stack.file, path);
      problems.push({ file: pos.file ?? stack.file, line: pos.line, col: pos.col, path: formatPath(path), message });
    }
  }
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}
