import type Docker from "dockerode";
import { describeError } from "../errors.js";
import { removeIfPresent, restore } from "../apply/retain.js";
import type { RolloutStep } from "../apply/rollout-log.js";
import type { Logger } from "../log.js";

export interface UndoContext {
  docker: Docker;
  log: Logger;
  commit: string;
  record: (e: { commit: string; stack: string; service?: string; container?: string; action: string; reason?: string; outcome: "ok" | "failed"; error?: string }) => Promise<void>;
}

/**
 * Undo a rollout's steps in reverse order: remove each new container, put the retained previous
 * one back under its name and start it. Every step is attempted even when one fails, so one
 * broken container never keeps the others down; the failures are returned.
 */
export async function undoRollout(steps: RolloutStep[], ctx: UndoContext): Promise<{ restored: string[]; problems: string[] }> {
  const restored: string[] = [];
  const problems: string[] = [];
  for (const s of [...steps].reverse()) {
    const base = { commit: ctx.commit, stack: s.project, service: s.service, container: s.name, action: "undo" };
    try {
      if (s.newId) await removeIfPresent(ctx.docker, s.newId);
      if (s.retainedName) {
        // A container created under the name by a run we know nothing of (a crash) goes too.
        if (!s.newId) await removeIfPresent(ctx.docker, s.name);
        await restore(ctx.docker, s.retainedName, s.name);
        restored.push(s.name);
      }
      ctx.log.warn({ ...base, outcome: "ok" }, `rolled back ${s.name}`);
      await ctx.record({ ...base, outcome: "ok", reason: s.retainedName ? "previous container restored" : "new container removed" });
    } catch (err) {
      problems.push(`${s.name}: ${describeError(err)}`);
      ctx.log.error({ ...base, outcome: "failed", err: describeError(err) }, `ROLLBACK FAILED for ${s.name}`);
      await ctx.record({ ...base, outcome: "failed", error: describeError(err) });
    }
  }
  return { restored, problems };
}
