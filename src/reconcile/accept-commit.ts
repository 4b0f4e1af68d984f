import { PolicyViolationError } from "../errors.js";
import type { DesiredStack, DesiredState } from "../model.js";
import { checkPolicy, type HostPolicy } from "../policy/index.js";
import type { HostState } from "../state/index.js";
import { checkHistoryForward } from "./check-history-forward.js";
import { checkSignature } from "./check-signature.js";
import { readCommitManifest } from "./commit-manifest.js";
import type { ReconcileContext } from "./reconcile.js";

/**
 * What a target commit must pass before anything is planned, in this order:
 *  1. its signature (security.verify), before a byte of its manifest is parsed;
 *  2. with `state` (a new target), that it descends from the last good commit
 *     (check-history-forward.ts: enforce mode only; HistoryRewoundError);
 *  3. the manifest itself (ManifestInvalidError);
 *  4. the host policy (security.policy) over the valid stacks (PolicyViolationError).
 * Each failure is a "reject" error: the caller marks the commit rejected and the host stays put.
 */
export async function acceptCommit(ctx: ReconcileContext, gitdir: string, commit: string, dryRun: boolean, state?: HostState): Promise<DesiredState> {
  await checkSignature(ctx, gitdir, commit, dryRun);
  if (state) await checkHistoryForward(ctx, gitdir, commit, state);
  const root = ctx.settings.path;
  const { stacks, sources } = await readCommitManifest(gitdir, commit, root);
  const violations = checkPolicyOnce(stacks, ctx.settings.security.policy, () => checkPolicy(stacks, ctx.settings.security.policy, sources));
  if (violations.length > 0) throw new PolicyViolationError(violations);
  return { commit, stacks };
}

/**
 * A commit's stacks (commit-manifest.ts) and the host policy (until a config reload) are the same
 * objects from one poll to the next, and the policy's verdict depends on nothing else, so each pair
 * is checked once.
 */
const verdicts = new WeakMap<readonly DesiredStack[], WeakMap<HostPolicy, ReturnType<typeof checkPolicy>>>();

function checkPolicyOnce(stacks: readonly DesiredStack[], policy: HostPolicy, check: () => ReturnType<typeof checkPolicy>): ReturnType<typeof checkPolicy> {
  let byPolicy = verdicts.get(stacks);
  if (!byPolicy) verdicts.set(stacks, (byPolicy = new WeakMap()));
  let verdict = byPolicy.get(policy);
  if (!verdict) byPolicy.set(policy, (verdict = check()));
  return verdict;
}
