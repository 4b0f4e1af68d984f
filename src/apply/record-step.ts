import { describeError } from "../errors.js";
import type { Logger } from "../log.js";

/**
 * Journals a step that is done (or failed) whatever the journal says: a journal that cannot be
 * written (a full disk) is logged as what it is, and the rollout or rollback goes on. The journal
 * records the gap with the next entry it can write (state/journal-gap.ts). A full disk is not the
 * release's fault, and must not turn a good step into a failed one.
 */
export async function recordStep<E extends { commit: string; stack: string; service?: string; container?: string; outcome: string }>(
  record: (e: E) => Promise<void>,
  log: Logger,
  entry: E,
  stage: "rollout" | "rollback",
): Promise<void> {
  try {
    await record(entry);
  } catch (err) {
    const what = entry.container ?? entry.stack;
    const done =
      stage === "rollback"
        ? entry.outcome === "ok"
          ? `${what} was rolled back`
          : `the rollback of ${what} failed`
        : `${what}: ${entry.outcome === "ok" ? "done" : "failed"}`;
    log.error(
      { stage, commit: entry.commit, stack: entry.stack, service: entry.service, container: entry.container, step: entry.outcome, err: describeError(err) },
      `JOURNAL WRITE FAILED during the ${stage}: ${done}, but the journal could not record it; the ${stage} goes on`,
    );
  }
}
