import type Docker from "dockerode";
import type { ApplyEvent } from "../apply/apply-context.js";
import { describeError } from "../errors.js";
import { recordStep } from "../apply/record-step.js";
import { removeIfPresent, restore, swapBack, type WatchDeath } from "../apply/retain.js";
import type { RolloutStep } from "../apply/rollout-log.js";
import { createLimiter, runBounded } from "../apply/run-bounded.js";
import { runInDependencyOrder } from "../apply/run-in-dependency-order.js";
import type { Logger } from "../log.js";

export interface UndoContext {
  docker: Docker;
  log: Logger;
  commit: string;
  /** An undo step as apply's events are recorded: it succeeded or failed. */
  record: (e: Omit<ApplyEvent, "outcome"> & { outcome: "ok" | "failed" }) => Promise<void>;
  /**
   * `<project>/<service>` → the services it depends on. With it, the undo runs at the rollout's
   * width: services in reverse dependency order, those that do not depend on each other together,
   * `concurrency` containers at a time. Without it (a crash recovery), one step at a time.
   */
  dependencies?: ReadonlyMap<string, readonly string[]>;
  concurrency?: number;
  /** The rollout's event stream: a kept container starts at its failed successor's death event, not when the kill call returns. */
  watchDeath?: WatchDeath;
}

/**
 * Undo a rollout's steps in reverse order (reverse dependency order, at the rollout's width, when the
 * dependencies are given): put the retained previous container back under its name
 * and start it, and remove each new container. Where both exist, the two swap names, the new one is
 * killed, the kept one starts once the new one is dead (apply/retain.ts, `swapBack`), and the new
 * one is removed only after every kept container is back, so the previous version serves again as
 * soon as stop-first allows. Every step is attempted even when one fails, so one broken
 * container never keeps the others down; the failures are returned.
 */
export async function undoRollout(steps: RolloutStep[], ctx: UndoContext): Promise<{ restored: string[]; problems: string[] }> {
  const restored: string[] = [];
  const problems: string[] = [];
  const setAsideIds: string[] = [];
  const undoOne = async (s: RolloutStep): Promise<void> => {
    const base = { commit: ctx.commit, stack: s.project, service: s.service, container: s.name, action: "undo" };
    try {
      if (s.newId && s.retainedName) {
        await swapBack(ctx.docker, s.newId, s.retainedName, s.name, ctx.watchDeath);
        setAsideIds.push(s.newId);
        restored.push(s.name);
      } else if (s.newId) await removeIfPresent(ctx.docker, s.newId);
      else if (s.retainedName) {
        // A container created under the name by a run we know nothing of (a crash) goes too.
        await removeIfPresent(ctx.docker, s.name);
        await restore(ctx.docker, s.retainedName, s.name);
        restored.push(s.name);
      }
    } catch (err) {
      problems.push(`${s.name}: ${describeError(err)}`);
      ctx.log.error({ ...base, outcome: "failed", err: describeError(err) }, `ROLLBACK FAILED for ${s.name}`);
      await recordStep(ctx.record, ctx.log, { ...base, outcome: "failed", error: describeError(err) }, "rollback");
      return;
    }
    ctx.log.warn({ ...base, outcome: "ok" }, `rolled back ${s.name}`);
    await recordStep(
      ctx.record,
      ctx.log,
      { ...base, outcome: "ok", reason: s.retainedName ? "previous container restored" : "new container removed" },
      "rollback",
    );
  };
  if (ctx.dependencies) await undoByService(steps, ctx.dependencies, ctx.concurrency ?? 1, undoOne);
  else for (const s of [...steps].reverse()) await undoOne(s);
  // Off the critical path: the failed containers go once the previous ones serve. One that stays is
  // pruned by the next pass (a managed container whose name the manifest does not want).
  await runBounded(setAsideIds, ctx.concurrency ?? 1, (id) =>
    removeIfPresent(ctx.docker, id).catch((err: unknown) =>
      ctx.log.warn({ stage: "rollback", container: id, err: describeError(err) }, "a failed container stays for now; the next pass removes it"),
    ),
  );
  return { restored, problems };
}

/** Each service after every service that depends on it; its own steps newest first, `limit` at a time. */
async function undoByService(
  steps: RolloutStep[],
  dependencies: ReadonlyMap<string, readonly string[]>,
  limit: number,
  undoOne: (s: RolloutStep) => Promise<void>,
): Promise<void> {
  const byService = new Map<string, RolloutStep[]>();
  for (const s of steps) {
    const key = `${s.project}/${s.service}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  const dependents = new Map<string, string[]>();
  for (const [service, deps] of dependencies) for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), service]);
  // One bound for every container, whichever service it belongs to.
  const slot = createLimiter(limit);
  const tasks = [...byService].map(([key, mine]) => ({
    key,
    deps: (dependents.get(key) ?? []).filter((k) => byService.has(k)),
    run: async () => void (await Promise.all([...mine].reverse().map((s) => slot(() => undoOne(s))))),
  }));
  await runInDependencyOrder(tasks, byService.size);
}
