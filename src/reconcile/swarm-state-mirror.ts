import type { ReconcileContext } from "./context.js";

/** This host's last good and failed commits, written to the Swarm (a rollout marker stays unless `endRollout`). */
export async function mirrorToSwarm(ctx: ReconcileContext, opts: { endRollout?: boolean } = {}): Promise<void> {
  const local = await ctx.store.read();
  await ctx.swarmState?.write((s) => ({
    ...s,
    lastGood: local.lastGood,
    goodHistory: local.goodHistory,
    failed: local.failed,
    rollout: opts.endRollout ? undefined : s.rollout,
  }));
}
