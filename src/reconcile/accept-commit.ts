import { checkEngineRequests, checkHostBindSources, type RequestCheck } from "../apply/check-requests.js";
import { checkSwarmRequests } from "../swarm/index.js";
import { guardedFilesOf } from "../config/guarded-files.js";
import { PolicyViolationError, type ManifestProblem } from "../errors.js";
import type { VerifiedImage } from "../image-signatures/index.js";
import type { DesiredStack, DesiredState } from "../model.js";
import { observeHost } from "../observe/index.js";
import type { HostSnapshot } from "../plan/index.js";
import { groupSharedProblems } from "../manifest/index.js";
import { checkPolicy, type HostPolicy } from "../policy/index.js";
import type { SignatureVerdict } from "../source/verify-signature.js";
import type { HostState } from "../state/index.js";
import { checkHistoryForward } from "./check-history-forward.js";
import { checkImageSignatures } from "./check-image-signatures.js";
import { checkSignature } from "./check-signature.js";
import { readCommitManifest } from "./commit-manifest.js";
import type { ReconcileContext } from "./context.js";
import { isRejection, type Rejection } from "./rejection.js";

/** A commit's verdict: its desired state (and its verified images), or the check it failed; with its signature verdict either way. */
export type Acceptance =
  | { ok: true; desired: DesiredState; signature: SignatureVerdict | undefined; images: VerifiedImage[] }
  | { ok: false; error: Rejection; signature: SignatureVerdict | undefined };

/**
 * What a commit must pass before anything is planned, in this order:
 *  1. its signature (security.verify), before a byte of its manifest is parsed;
 *  2. with `state` (a new target), that it descends from the last good commit
 *     (check-history-forward.ts: enforce mode only; HistoryRewoundError);
 *  3. the manifest itself, read with this host's variables and profiles (ManifestInvalidError; a
 *     variable only the host can set and has not is HostVariableMissingError, retried, not a rejection);
 *  4. the host policy (security.policy) over the valid stacks (PolicyViolationError), with their
 *     file:line:col;
 *  5. the host policy over the Engine requests those stacks lead to, as an allow-list of request
 *     fields (apply/check-requests.ts), judged against the Engine as it is (`engine`, or a fresh
 *     look), and every bind source on the host without following symlinks;
 *  6. the images' signatures (security.policy.image_signatures; ImageSignatureRejectedError), asked
 *     of their registries before anything is pulled (check-image-signatures.ts).
 * Returns a verdict and writes nothing; errors other than these checks' (Git, the Engine) throw.
 */
export async function acceptCommit(
  ctx: ReconcileContext,
  gitdir: string,
  commit: string,
  opts: { state?: HostState; engine?: () => Promise<HostSnapshot> } = {},
): Promise<Acceptance> {
  const checked = await checkSignature(ctx, gitdir, commit);
  const signature = checked?.verdict;
  try {
    if (checked?.rejected) throw checked.rejected;
    if (opts.state) await checkHistoryForward(ctx, gitdir, commit, opts.state);
    return { ok: true, ...(await acceptManifest(ctx, gitdir, commit, opts.engine)), signature };
  } catch (err) {
    if (isRejection(err)) return { ok: false, error: err, signature };
    throw err;
  }
}

async function acceptManifest(
  ctx: ReconcileContext,
  gitdir: string,
  commit: string,
  engine: (() => Promise<HostSnapshot>) | undefined,
): Promise<{ desired: DesiredState; images: VerifiedImage[] }> {
  const { stacks, sources } = await readCommitManifest(gitdir, commit, ctx.settings, ctx.hostKey);
  const { policy } = ctx.settings.security;
  const guarded = guardedFilesOf(ctx.settings);
  const violations = checkPolicyOnce(stacks, policy, () => checkPolicy(stacks, policy, sources, guarded));
  // Values from the host's variables files are secrets: the reasons go to the journal and git notes.
  if (violations.length > 0) throw new PolicyViolationError(groupSharedProblems(sources.maskHostValues(violations)));
  const desired = { commit, stacks };
  const check = { policy, guarded, agentId: ctx.settings.hostId, sources };
  // The engine seam: a Swarm is sent services, networks, secrets and configs; a host, containers.
  const refused =
    ctx.settings.engine === "swarm"
      ? await checkSwarmRequests(desired, check, ctx.docker)
      : await checkContainerRequests(desired, { ...check, host: await (engine ?? (() => observeHost(ctx.docker, ctx.settings.hostId)))() });
  if (refused.length > 0) throw new PolicyViolationError(groupSharedProblems(sources.maskHostValues(refused)));
  return { desired, images: await checkImageSignatures(ctx, stacks, sources) };
}

async function checkContainerRequests(desired: DesiredState, check: RequestCheck): Promise<ManifestProblem[]> {
  const refused = checkEngineRequests(desired, check);
  return refused.length ? refused : checkHostBindSources(desired, check);
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
