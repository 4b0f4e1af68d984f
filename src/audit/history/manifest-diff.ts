import { HostVariableMissingError, ManifestInvalidError, SourceConfigError, formatProblem } from "../../errors.js";
import { loadManifest } from "../../manifest/index.js";
import type { DesiredService, DesiredStack } from "../../model.js";
import { readCommitTree } from "../../source/index.js";
import { byCodePoint } from "../../order.js";

/** What a commit changed in one service (or, without `service`, in a stack's networks or volumes). */
export interface ServiceChange {
  stack: string;
  service?: string;
  change: "added" | "removed" | "changed";
  /** The image before and after (digest-pinned references); absent when it did not change. */
  image?: { from?: string; to?: string };
  /** For "changed": which settings differ (`image`, `environment`, `ports`, `replicas`, ...). */
  aspects: string[];
}

export type LoadedManifest = { ok: true; stacks: DesiredStack[] } | { ok: false; problem: string };

/**
 * The stacks of the host's path at one commit; an absent path is an empty manifest. Read as
 * `gitdock validate` reads them, without the host's variables: a value only the host sets stays
 * as written (`${TAG}`), so history never shows one. Read from the commit's tree, so a changed file
 * of the repository that a service mounts shows as a change of that service.
 */
export async function loadManifestAt(gitdir: string, commit: string, path: string, cache?: object): Promise<LoadedManifest> {
  try {
    return { ok: true, stacks: loadManifest(await readCommitTree(gitdir, commit, path, cache)).stacks };
  } catch (err) {
    if (err instanceof ManifestInvalidError || err instanceof HostVariableMissingError) {
      const first = err.problems[0];
      const more = err.problems.length > 1 ? ` (+${err.problems.length - 1} more)` : "";
      return { ok: false, problem: first ? `${formatProblem(first)}${more}` : "invalid manifest" };
    }
    if (err instanceof SourceConfigError) return { ok: true, stacks: [] }; // the path does not exist there
    throw err;
  }
}

/** The differences between two manifests, by stack and service, sorted. */
export function diffManifests(before: DesiredStack[], after: DesiredStack[]): ServiceChange[] {
  const changes: ServiceChange[] = [];
  const old = new Map(before.map((s) => [s.project, s]));
  const now = new Map(after.map((s) => [s.project, s]));
  for (const project of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(project);
    const b = now.get(project);
    const aServices = new Map((a?.services ?? []).map((s) => [s.name, s]));
    const bServices = new Map((b?.services ?? []).map((s) => [s.name, s]));
    for (const name of [...new Set([...aServices.keys(), ...bServices.keys()])].sort()) {
      const change = diffService(project, aServices.get(name), bServices.get(name));
      if (change) changes.push(change);
    }
    if (a && b) {
      const aspects = (["networks", "volumes"] as const).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      if (aspects.length) changes.push({ stack: project, change: "changed", aspects: [...aspects] });
    }
  }
  return changes;
}

function diffService(stack: string, a: DesiredService | undefined, b: DesiredService | undefined): ServiceChange | undefined {
  if (!a && b) return { stack, service: b.name, change: "added", image: { to: b.container.image }, aspects: [] };
  if (a && !b) return { stack, service: a.name, change: "removed", image: { from: a.container.image }, aspects: [] };
  if (!a || !b) return undefined;
  const aspects = differingKeys(serviceView(a), serviceView(b));
  if (!aspects.length) return undefined;
  const image = a.container.image !== b.container.image ? { from: a.container.image, to: b.container.image } : undefined;
  return { stack, service: a.name, change: "changed", ...(image ? { image } : {}), aspects };
}

/** The service's settings flattened one level: the container spec's keys next to the service's own. */
function serviceView(s: DesiredService): Record<string, unknown> {
  const { container, name: _name, ...rest } = s;
  return { ...container, ...rest };
}

function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const differs = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  // The image first: it is what an auditor asks about most.
  return differs.sort((x, y) => (x === "image" ? -1 : y === "image" ? 1 : byCodePoint(x, y)));
}
