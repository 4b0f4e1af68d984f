import { runBounded } from "../apply/run-bounded.js";
import { formatPath } from "../manifest/format-path.js";
import { byCodePoint } from "../order.js";
import { ImageSignatureRejectedError, type ManifestProblem } from "../errors.js";
import { loadScopeTrust, ruleFor, verifyImage, type ImageVerdict, type ScopeTrust, type VerifiedImage } from "../image-signatures/index.js";
import type { DesiredStack } from "../model.js";
import type { PolicySources } from "../policy/index.js";
import type { ImageSignatureRule } from "../policy/host-policy.js";
import { parseImageReference, RegistrySession, type ImageReference } from "../registry/index.js";
import type { ReconcileContext } from "./context.js";

/**
 * The last check of a commit, after the request-level policy and before anything is pulled
 * (security.policy.image_signatures): every image a scope covers must carry a signature by a key
 * or identity its scope lists, over exactly its pinned digest. Returns what was verified;
 * ImageSignatureRejectedError lists every image that failed, at its `image:` line. A registry that
 * cannot be asked fails the pass (RegistryLookupError, retried), it never lets an image through.
 *
 * A valid verdict is kept for the agent's lifetime per image digest and scope trust (a digest never
 * changes; the trust's id changes with any key, root or identity), so an idle agent re-checking its
 * commit asks no registry. Failures are not kept: a signature pushed later is found by `gitdock retry`.
 */
export async function checkImageSignatures(ctx: ReconcileContext, stacks: readonly DesiredStack[], sources: PolicySources): Promise<VerifiedImage[]> {
  const rules = ctx.settings.security.policy.imageSignatures;
  const wanted = rules.length === 0 ? [] : imagesToVerify(stacks, rules);
  if (wanted.length === 0) return [];
  const started = performance.now();
  const { judged, asked } = await judgeImages(ctx, wanted);
  const durationMs = Math.round(performance.now() - started);
  // Said at info level when a registry was asked; a pass that found every verdict kept says it at debug.
  ctx.log[asked > 0 ? "info" : "debug"](
    { stage: "image-signature", images: judged.length, asked, durationMs },
    `checked the signatures of ${judged.length} image(s) in ${durationMs} ms (${asked} asked of the registry)`,
  );
  const problems = judged.flatMap(({ use, verdict }) => (verdict.status === "valid" ? [] : [located(use, verdict, sources)]));
  if (problems.length > 0) throw new ImageSignatureRejectedError(problems.sort(byPosition));
  return judged
    .flatMap(({ use, verdict }) =>
      verdict.status === "valid"
        ? [{ stack: use.stack.project, service: use.service, image: imageName(use.ref), signer: verdict.signer, layout: verdict.layout }]
        : [],
    )
    .sort((a, b) => byCodePoint(a.stack, b.stack) || byCodePoint(a.service, b.service));
}

/** Each image's verdict, `concurrency` at a time: each scope's trust loaded once, each digest judged once (or taken from the kept verdicts). */
async function judgeImages(ctx: ReconcileContext, wanted: readonly ImageUse[]): Promise<{ judged: { use: ImageUse; verdict: ImageVerdict }[]; asked: number }> {
  const trusts = new Map<ImageSignatureRule, Promise<ScopeTrust>>();
  const sessions = new Map<string, RegistrySession>();
  const verdicts = new Map<string, Promise<ImageVerdict>>();
  const judged: { use: ImageUse; verdict: ImageVerdict }[] = [];
  let asked = 0;
  await runBounded(wanted, ctx.settings.concurrency, async (use) => {
    let trust = trusts.get(use.rule);
    if (!trust) trusts.set(use.rule, (trust = loadScopeTrust(use.rule)));
    const scoped = await trust;
    const key = `${imageName(use.ref)}\0${scoped.id}`;
    let verdict = verdicts.get(key);
    if (!verdict) {
      const verify = () => {
        asked++;
        return verifyImage(sessionFor(ctx, sessions, use.ref.registry), use.ref.repository, use.ref.digest as string, scoped);
      };
      verdicts.set(key, (verdict = cachedVerdict(key, verify)));
    }
    judged.push({ use, verdict: await verdict });
  });
  return { judged, asked };
}

/** `registry/repository@sha256:…`, as pulled. */
function imageName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}@${ref.digest}`;
}

interface ImageUse {
  stack: DesiredStack;
  service: string;
  ref: ImageReference;
  rule: ImageSignatureRule;
}

function imagesToVerify(stacks: readonly DesiredStack[], rules: readonly ImageSignatureRule[]): ImageUse[] {
  return stacks.flatMap((stack) =>
    stack.services.flatMap((service) => {
      const ref = parseImageReference(service.container.image);
      // Validation has made sure every image is a pinned reference.
      if ("problem" in ref || ref.digest === undefined) return [];
      const rule = ruleFor({ registry: ref.registry, path: ref.repository }, rules);
      return rule && !rule.acceptUnsigned ? [{ stack, service: service.name, ref, rule }] : [];
    }),
  );
}

const KEEP = 4096;
const valid = new Map<string, ImageVerdict>();

async function cachedVerdict(key: string, verify: () => Promise<ImageVerdict>): Promise<ImageVerdict> {
  const known = valid.get(key);
  if (known) return known;
  const verdict = await verify();
  if (verdict.status === "valid") {
    valid.set(key, verdict);
    while (valid.size > KEEP) valid.delete(valid.keys().next().value as string);
  }
  return verdict;
}

function sessionFor(ctx: ReconcileContext, sessions: Map<string, RegistrySession>, registry: string): RegistrySession {
  let session = sessions.get(registry);
  if (!session) {
    const auth = ctx.auths.get(registry);
    sessions.set(registry, (session = new RegistrySession(registry, auth && { username: auth.username, password: auth.password })));
  }
  return session;
}

const SAYS: Record<Exclude<ImageVerdict["status"], "valid">, string> = {
  missing: "not signed",
  untrusted: "signed by an unknown key or identity",
  tampered: "signature tampered",
  "wrong-digest": "signature over another digest",
  malformed: "signature unreadable",
};

function located(use: ImageUse, verdict: Exclude<ImageVerdict, { status: "valid" }>, sources: PolicySources): ManifestProblem {
  const path = ["services", use.service, "image"];
  const pos = sources.locate(use.stack.file, path);
  const image = imageName(use.ref);
  return {
    file: use.stack.file,
    line: pos.line,
    col: pos.col,
    path: formatPath(path),
    message: `${image}: ${SAYS[verdict.status]}: ${verdict.reason} (scope ${use.rule.scope})`,
  };
}

function byPosition(a: ManifestProblem, b: ManifestProblem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}
