import type { BindMountSpec, MountSpec } from "../../model.js";
import type { StackFiles } from "../files/commit-files.js";
import type { ManifestEngine } from "../load/load-environment.js";
import { parseLongMount, parseShortMount, type MountDraft } from "../parse/parse-mount.js";
import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

/**
 * `volumes` in manifest order. A named volume's `source` becomes the Engine name of the volume
 * (`<project>_<key>` or its `name:`), which is what Docker mounts; the key must be declared under
 * top-level `volumes:` like Compose requires. A relative bind source becomes the store object of a
 * file or directory of the repository (read-only), or else the project's data directory; `files`
 * is the service's `volumes` (paths are relative to the file that wrote each entry). On a Swarm
 * a relative source is not resolved (nothing goes to the store): swarm/check-swarm-mounts.ts
 * refuses it, since the nodes running the tasks do not have gitdock's store.
 */
export function normalizeMounts(
  input: ServiceInput["volumes"],
  volumeNames: ReadonlyMap<string, string>,
  files: StackFiles,
  problems: ProblemSink,
  engine: ManifestEngine = "containers",
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
    if (result.mount.type === "relative" && engine === "swarm") continue;
    const at = typeof entry === "string" ? [i] : [i, "source"];
    const mount = resolveSource(result.mount, volumeNames, files.under(at), (message) => problems.report(at, message));
    if (mount) mounts.push(mount);
  }
  return mounts;
}

function resolveSource(draft: MountDraft, volumeNames: ReadonlyMap<string, string>, files: StackFiles, fail: (message: string) => void): MountSpec | undefined {
  if (draft.type === "relative") return resolveRelative(draft, files, fail);
  if (draft.type !== "volume") return draft;
  const source = draft.key === undefined ? undefined : volumeNames.get(draft.key);
  if (draft.key !== undefined && source === undefined) {
    fail(`volume "${draft.key}" is not declared under the top-level volumes: (write an absolute path for a bind mount)`);
    return undefined;
  }
  // Keys in the model's order, so equal mounts serialize identically.
  return { type: "volume", source, target: draft.target, readOnly: draft.readOnly, nocopy: draft.nocopy };
}

/** A file of the repository comes read-only from the store (nothing to create there); a data directory as written. */
function resolveRelative(draft: Extract<MountDraft, { type: "relative" }>, files: StackFiles, fail: (message: string) => void): MountSpec | undefined {
  const bind = files.bindSource(draft.path, draft.readOnly, []);
  if ("error" in bind) {
    fail(bind.error);
    return undefined;
  }
  const mount: BindMountSpec =
    bind.kind === "store"
      ? { type: "bind", source: bind.source, target: draft.target, readOnly: true, createHostPath: false }
      : { type: "bind", source: bind.source, target: draft.target, readOnly: draft.readOnly ?? false, createHostPath: draft.createHostPath };
  // A store object may be shared by several containers (equal content, a kept container and its
  // replacement): a private label (Z) would lock the others out, so it is relabeled shared (z).
  if (draft.selinux) mount.selinux = bind.kind === "store" ? "z" : draft.selinux;
  return mount;
}
