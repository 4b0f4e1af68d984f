import { removeIfPresent, restore } from "../apply/retain.js";
import type { RolloutStep } from "../apply/rollout-log.js";
import { describeError } from "../errors.js";
import type { UndoContext } from "./undo-rollout.js";

/**
 * Kept `<name>.gitdock-prev` containers with no rollout in progress are leftovers of a rollout
 * that finished healthy but could not remove them. Where the live container exists the leftover
 * goes; where it does not (someone removed it), the leftover is the only copy and is put back:
 * the host never ends up with fewer containers than it had.
 */
export async function cleanUpLeftovers(steps: RolloutStep[], ctx: UndoContext): Promise<void> {
  for (const s of steps) {
    if (!s.retainedName) continue;
    const base = { commit: ctx.commit, stack: s.project, service: s.service, container: s.retainedName };
    try {
      if (s.newId) await removeIfPresent(ctx.docker, s.retainedName);
      else await restore(ctx.docker, s.retainedName, s.name);
      await ctx.record({ ...base, action: s.newId ? "remove-previous" : "restore-previous", outcome: "ok" });
    } catch (err) {
      ctx.log.warn({ ...base, err: describeError(err) }, `could not clean up ${s.retainedName}; trying again next pass`);
    }
  }
}
