import type { ReconcileContext } from "./reconcile.js";

/**
 * What happened to a commit on this host: the unit of the audit trail (journal, git notes,
 * deployment markers, metrics). Never carries environment values or other secrets.
 */
export interface CommitOutcome {
  commit: string;
  hostId: string;
  outcome: "healthy" | "rolled-back" | "rejected" | "paused";
  at: string;
  reason?: string;
  /** For rollbacks: how long from the failed gate to the previous version serving again. */
  durationMs?: number;
}

/** Tell the listeners (notes, markers, metrics). A listener's failure never blocks or undoes a deployment. */
export async function emitOutcome(ctx: ReconcileContext, o: Omit<CommitOutcome, "hostId" | "at">): Promise<void> {
  const event: CommitOutcome = { ...o, hostId: ctx.settings.hostId, at: new Date().toISOString() };
  ctx.log.info({ stage: "outcome", commit: o.commit, outcome: o.outcome, reason: o.reason, durationMs: o.durationMs }, `commit ${o.commit.slice(0, 12)} ${o.outcome}`);
  for (const listener of ctx.outcomeListeners ?? []) {
    try {
      await listener(event);
    } catch (err) {
      ctx.log.warn({ stage: "outcome", commit: o.commit, err: String(err) }, "an outcome listener failed; the deployment is unaffected");
    }
  }
}
