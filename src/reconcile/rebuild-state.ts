import fs from "node:fs";
import git from "isomorphic-git";
import type { HostSnapshot } from "../plan/index.js";
import { deepenClone } from "../source/deepen-clone.js";
import { parseRepoLocation } from "../source/index.js";
import type { HostState } from "../state/index.js";
import type { ReconcileContext } from "./context.js";

/** What the host itself says it runs, when the state directory has lost it. */
export interface RebuiltState {
  /** The commit the healthy containers' labels name: the last good and last applied commit again. */
  commit: string;
  containers: number;
  /** The branch head, when this host's own git note says it failed there. */
  failed?: { commit: string; reason: string };
}

/** Depths the clone is deepened to, in turn, to find the commit the containers run. */
const DEEPEN_STEPS = [50, 200, 1_000];

/** A state that knows no commit at all: a new host, or one whose state directory was lost. */
export function knowsNoCommit(state: HostState): boolean {
  return !state.lastGood && !state.lastApplied && !state.rollout && Object.keys(state.failed).length === 0;
}

/**
 * The labels on the running containers (commit, spec hash, agent) say what the host runs. When
 * the state directory is missing, the commit that this agent's healthy containers name becomes the
 * last good and last applied commit again, so drift repair goes on toward it; a failed mark on the
 * branch head comes back from this host's own git note when notes reporting is on (otherwise the
 * head is tried once more). Undefined when the host runs nothing of this agent's, or when its
 * containers name different commits (nothing is guessed: the next release sets it straight).
 */
export async function rebuildFromHost(ctx: ReconcileContext, host: HostSnapshot, gitdir: string, target: string): Promise<RebuiltState | undefined> {
  const healthy = host.containers.filter((c) => c.managed && c.previousOf === undefined && c.running && c.health !== "unhealthy" && c.commit);
  const commits = new Set(healthy.map((c) => c.commit as string));
  if (commits.size !== 1) {
    if (commits.size > 1)
      ctx.log.warn({ stage: "state", commits: [...commits] }, "the state directory knows no commit and the containers name several: nothing rebuilt");
    return undefined;
  }
  const commit = [...commits][0] as string;
  if (!(await haveCommit(ctx, gitdir, commit))) {
    ctx.log.warn(
      { stage: "state", commit },
      `the containers run ${commit.slice(0, 12)}, which the repository does not have within ${DEEPEN_STEPS.at(-1)} commits of the branch: nothing rebuilt`,
    );
    return undefined;
  }
  const failed = target !== commit ? await failedHere(ctx, target) : undefined;
  return { commit, containers: healthy.length, ...(failed ? { failed } : {}) };
}

/** This host's own note on the branch head, when it says the head failed here. */
async function failedHere(ctx: ReconcileContext, target: string): Promise<RebuiltState["failed"]> {
  if (!ctx.outcomesOf) return undefined;
  const lines = await ctx.outcomesOf(target).catch(() => []);
  const mine = lines.filter((l) => l.host === ctx.settings.hostId && (l.verb === "rolled-back" || l.verb === "paused")).at(-1);
  return mine ? { commit: target, reason: `${mine.verb} (rebuilt from this host's git note): ${mine.detail}` } : undefined;
}

/** The commit is in the clone, deepening a shallow clone in bounded steps if need be. */
export async function haveCommit(ctx: ReconcileContext, gitdir: string, commit: string): Promise<boolean> {
  const has = () =>
    git.readCommit({ fs, gitdir, oid: commit }).then(
      () => true,
      () => false,
    );
  if (await has()) return true;
  const location = parseRepoLocation(ctx.settings.repo ?? "");
  if (location.kind !== "http") return false;
  for (const depth of DEEPEN_STEPS) {
    await deepenClone({ url: location.url, gitdir, branch: ctx.settings.branch, credentials: ctx.credentials, depth });
    if (await has()) return true;
  }
  return false;
}
