/**
 * A pass on a Swarm runs under the Swarm's lease (swarm/cluster-state.ts): two agents never change
 * one Swarm at once. Holding it, the pass first takes over the state the Swarm holds when it is
 * newer than this state directory's (the agent ran on another manager), then undoes a rollout
 * another process left unfinished (killed mid-rollout) by putting the services back at the last good
 * commit; its release is then tried again from the start, behind the gates. At the end the Swarm's
 * state is written from this host's, and the lease is given up.
 */
import { ClusterStateStore, type ClusterState } from "../swarm/index.js";
import type { SourceTarget } from "../source/index.js";
import type { HostState } from "../state/index.js";
import type { ReconcileContext, ReconcileResult } from "./context.js";
import { loadCheckedLastGood } from "./recheck-last-good.js";
import { haveCommit } from "./rebuild-state.js";
import { recordOutcome } from "./record-outcome.js";
import { releaseOnSwarm } from "./swarm-release.js";
import { mirroredState, mirrorToSwarm } from "./swarm-state-mirror.js";

export async function withSwarmLease(
  ctx: ReconcileContext,
  source: SourceTarget,
  run: (ctx: ReconcileContext) => Promise<ReconcileResult>,
): Promise<ReconcileResult> {
  const store = new ClusterStateStore(ctx.docker, ctx.settings.hostId);
  const lease = await store.acquire();
  if (!lease.ok) {
    const reason = `another gitdock agent (${lease.holder}) is changing this Swarm; its lease runs until ${new Date(lease.until).toISOString()}`;
    ctx.log.warn({ stage: "swarm", holder: lease.holder }, `${reason}: nothing changed, trying again on the next pass`);
    return { outcome: "waiting", target: source.commit, commit: undefined, plan: undefined, changed: 0, reason, conflicts: [], recheckAt: lease.until };
  }
  let held: ReconcileContext = { ...ctx, swarmState: store };
  try {
    const cluster = lease.state;
    held = { ...held, hostKey: await store.ensureHashKey(cluster) };
    if (cluster) await adoptNewer(held, cluster);
    if (cluster?.rollout) await undoInterrupted(held, cluster.rollout.commit, source);
    return await run(held);
  } finally {
    await giveUpLease(held, store);
  }
}

/** One write at the end of a pass: this host's state into the Swarm's, and the lease given up. */
async function giveUpLease(ctx: ReconcileContext, store: ClusterStateStore): Promise<void> {
  try {
    await store.release(await mirroredState(ctx));
  } catch (err) {
    ctx.log.warn(
      { stage: "swarm", err: String(err) },
      "could not write gitdock's state to the Swarm and give its lease up; the next pass writes it, and the lease runs out by itself",
    );
  }
}

/** The context with the Swarm's hash key, when an agent made one: what a plan (a dry run) compares with. */
export async function withSwarmHashKey(ctx: ReconcileContext): Promise<ReconcileContext> {
  const key = await new ClusterStateStore(ctx.docker, ctx.settings.hostId).hashKey();
  return key ? { ...ctx, hostKey: key } : ctx;
}

async function adoptNewer(ctx: ReconcileContext, cluster: ClusterState): Promise<void> {
  const local = await ctx.store.read();
  if (sameMarks(local, cluster) || Date.parse(cluster.updatedAt) < newestMark(local)) return;
  ctx.log.warn(
    { stage: "swarm", lastGood: cluster.lastGood?.commit, failed: Object.keys(cluster.failed) },
    "the Swarm's state is newer than this state directory's (the agent ran on another manager): taking it over",
  );
  await recordOutcome(ctx, { kind: "adopted", lastGood: cluster.lastGood, goodHistory: cluster.goodHistory, failed: cluster.failed });
}

function sameMarks(local: HostState, cluster: ClusterState): boolean {
  const keys = (r: Record<string, unknown>) => Object.keys(r).sort().join(",");
  return local.lastGood?.commit === cluster.lastGood?.commit && keys(local.failed) === keys(cluster.failed);
}

function newestMark(s: HostState): number {
  return Math.max(0, ...[s.lastGood?.at, ...Object.values(s.failed).map((m) => m.at)].map((at) => (at ? Date.parse(at) : 0)));
}

/**
 * A rollout that ended without an outcome: the services go back to the last good commit (a repair,
 * behind the gate), recorded as recovered. Without a last good commit there is nothing to go back to,
 * and the release simply runs again.
 */
async function undoInterrupted(ctx: ReconcileContext, commit: string, source: SourceTarget): Promise<void> {
  const lastGood = (await ctx.store.read()).lastGood?.commit;
  ctx.log.warn(
    { stage: "recover", commit, lastGood },
    `a rollout of ${commit.slice(0, 12)} on this Swarm ended without an outcome; going back to the last good commit first`,
  );
  // Taken over from the Swarm, the last good commit may be older than this manager's shallow clone.
  if (lastGood && (await haveCommit(ctx, source.gitdir, lastGood))) {
    const verdict = await releaseOnSwarm(ctx, await loadCheckedLastGood(ctx, source.gitdir, lastGood, source.commit), false);
    await recordOutcome(ctx, { kind: "recovered", commit, undone: verdict.kind === "applied" ? verdict.changed : 0 });
  }
  await mirrorToSwarm(ctx, { endRollout: true });
}
