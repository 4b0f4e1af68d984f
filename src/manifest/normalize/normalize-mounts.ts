import type { MountSpec } from "../../model.js";
import { parseLongMount, parseShortMount, type MountDraft } from "../parse/parse-mount.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/**
 * `volumes` in manifest order. A named volume's `source` becomes the Engine name of the volume
 * (`<project>_<key>` or its `name:`), which is what Docker mounts; the key must be declared under
 * top-level `volumes:` like Compose requires.
 */
export function normalizeMounts(
  input: ServiceInput["volumes"],
  volumeNames: ReadonlyMap<string, string>,
  problems: ProblemSink,
): MountSpec[] {
  const mounts: MountSpec[] = [];
  const targets = new Set<string>();
  for (const [i, entry] of (input ?? []).entries()) {
    const result = typeof entry === "string" ? parseShortMount(entry) : parseLongMount(entry);
    if ("problems" in result) {
      for (const p of result.problems) problems.report([i, ...(p.at ?? [])], p.message);
      continue;
    }
    if (targets.has(result.mount.target)) problems.report([i], `another mount already uses ${result.mount.target}`);
    targets.add(result.mount.target);
    const mount = resolveVolume(result.mount, volumeNames, (message) =>
      problems.report(typeof entry === "string" ? [i] : [i, "source"], message),
    );
    if (mount) mounts.push(mount);
  }
  return mounts;
}

function resolveVolume(draft: MountDraft, volumeNames: ReadonlyMap<string, string>, fail: (message: string) => void): MountSpec | undefined {
  if (draft.type !== "volume") return draft;
  const source = draft.key === undefined ? undefined : volumeNames.get(draft.key);
  if (draft.key !== undefined && source === undefined) {
    fail(`volume "${draft.key}" is not declared under the top-level volumes: (write an absolute path for a bind mount)`);
    return undefined;
  }
  // Keys in the model's order, so equal mounts serialize identically.
  return { type: "volume", source, target: draft.target, readOnly: draft.readOnly, nocopy: draft.nocopy };
}
