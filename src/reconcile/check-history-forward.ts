import { HistoryRewoundError, SourceUnavailableError } from "../errors.js";
import { judgeAncestry, parentsInRepo, type AncestryVerdict } from "../source/commit-ancestry.js";
import { deepenClone } from "../source/deepen-clone.js";
import { parseRepoLocation } from "../source/index.js";
import type { HostState } from "../state/index.js";
import type { ReconcileContext } from "./context.js";

/** How many commits of a target's history gitdock reads, at most, looking for the last good commit. */
export const ANCESTRY_LIMIT = 1_000;
/** The depths the shallow clone is deepened to, in turn, while the last good commit is not found. */
const DEEPEN_STEPS = [50, 200, ANCESTRY_LIMIT];

/**
 * Signed history moves forward: with `verify.mode: enforce`, a new target must descend from the
 * last good commit, or a compromised Git server could roll the host back to an older signed
 * release (or to another signed history) by force-pushing the branch. Throws HistoryRewoundError.
 *
 * Runs only for a new target (chooseDesired never judges the last good commit or a blocked one
 * again), so an idle poll never walks history. Not checked: in warn and off modes, with
 * `verify.allow_rewind: true`, on a first apply, and for a commit `gitdock retry --allow-rewind`
 * let through once.
 */
export async function checkHistoryForward(ctx: ReconcileContext, gitdir: string, commit: string, state: HostState): Promise<void> {
  const { mode, allowRewind } = ctx.settings.security.verify;
  const lastGood = state.lastGood?.commit;
  if (mode !== "enforce" || allowRewind || lastGood === undefined || lastGood === commit) return;
  const fields = { stage: "history", commit, lastGood };
  if (state.allowRewind.includes(commit)) {
    ctx.log.warn(
      fields,
      `not checking that ${commit.slice(0, 12)} descends from the last good commit ${lastGood.slice(0, 12)}: \`gitdock retry --allow-rewind\` allowed it once`,
    );
    return;
  }
  const verdict = await proveDescent(ctx, gitdir, commit, lastGood);
  if (verdict.kind === "descendant") {
    ctx.log.debug({ ...fields, walked: verdict.walked }, `${commit.slice(0, 12)} descends from the last good commit`);
    return;
  }
  throw new HistoryRewoundError({ commit, lastGood, proof: verdict.kind === "not-descendant" ? "not-descendant" : "unproven", limit: ANCESTRY_LIMIT });
}

/**
 * Walks the target's history in the local clone; where the clone is too shallow to tell, deepens
 * it in bounded steps and walks again. A local repository has its whole history already.
 */
async function proveDescent(ctx: ReconcileContext, gitdir: string, commit: string, lastGood: string): Promise<AncestryVerdict> {
  const walk = () => judgeAncestry(commit, lastGood, parentsInRepo(gitdir), ANCESTRY_LIMIT);
  let verdict = await walk();
  const location = parseRepoLocation(ctx.settings.repo ?? "");
  if (location.kind !== "http") return verdict;
  for (const depth of DEEPEN_STEPS) {
    if (verdict.kind !== "unknown" || verdict.why === "limit") break;
    if (depth <= verdict.walked) continue;
    ctx.log.info({ stage: "history", commit, lastGood, depth }, `the clone is too shallow to find the last good commit; deepening it to ${depth} commits`);
    const head = await deepenClone({ url: location.url, gitdir, branch: ctx.settings.branch, credentials: ctx.credentials, depth });
    if (head && head !== commit) {
      throw new SourceUnavailableError(
        `branch ${ctx.settings.branch} moved from ${commit.slice(0, 12)} to ${head.slice(0, 12)} while gitdock was checking its history`,
        {
          hint: "Nothing was changed; the next pass takes the new head.",
        },
      );
    }
    verdict = await walk();
  }
  return verdict;
}
