import type { ClusterState } from "../swarm/index.js";
import type { ReconcileContext } from "./context.js";

/** This host's last good and failed commits, as a change of the Swarm's state (a rollout marker stays unless `endRollout`). */
export async function mirroredState(ctx: ReconcileContext, opts: { endRollout?: boolean } = {}): Promise<(s: ClusterState) => ClusterState> {
  const local = await ctx.store.read();
  return (s) => ({ ...s, lastGood: local.lastGood, goodHistory: local.goodHistory, failed: local.failed, rollout: opts.endRollout ? undefined : s.rollout });
}

/** This host's last good and failed commits, written to the Swarm (nothing is written when they are there already). */
export async function mirrorToSwarm(ctx: ReconcileContext, opts: { endRollout?: boolean } = {}): Promise<void> {
  await ctx.swarmState?.write(await mirroredState(ctx, opts));
}
