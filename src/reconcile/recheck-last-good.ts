import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { VerifySettings } from "../config/security-section.js";
import type { HostPolicy } from "../policy/host-policy.js";
import { LastGoodRejectedError } from "../errors.js";
import type { DesiredState } from "../model.js";
import type { HostSnapshot } from "../plan/index.js";
import { acceptCommit } from "./accept-commit.js";
import { commitManifestKey } from "./commit-manifest.js";
import type { ReconcileContext } from "./context.js";
import { firstLine, REJECTED_BY, type Rejection } from "./rejection.js";
import { VerdictCache } from "./verdict-cache.js";

export type LastGoodVerdict =
  | { ok: true; desired: DesiredState }
  /** `check`: signature, manifest or policy; `reason`: the first problem, in one line. */
  | { ok: false; check: string; reason: string; error: Rejection };

/**
 * Verdicts per (commit, trust files and verification mode, policy object). Verifying a signature
 * is the expensive part of a re-check; the trust files are read (not parsed) on every pass, so
 * removing a key takes effect at the next pass, as it does for a new target.
 */
const verdicts = new VerdictCache<LastGoodVerdict>({ keep: 4, maxAgeMs: 10 * 60_000 });

/**
 * Does the last good commit still pass what a target must pass now: its signature under the
 * current verification settings and trust files, its manifest, the host policy? It is not judged
 * as a new target: it descends from itself, and a failure is a verdict, not a rejection mark.
 * Writes nothing (signatures.json, journal, state); logs only when the verdict is computed.
 */
export async function recheckLastGood(ctx: ReconcileContext, gitdir: string, commit: string, engine?: EngineView): Promise<LastGoodVerdict> {
  // The host's variables and profiles change what the manifest is: part of the verdict's key too.
  const manifestKey = await commitManifestKey(gitdir, commit, ctx.settings, ctx.hostKey).catch(() => "unreadable");
  const key = [
    gitdir,
    ctx.settings.path,
    commit,
    await trustKey(ctx.settings.security.verify),
    manifestKey,
    await imageTrustKey(ctx.settings.security.policy),
  ].join("\0");
  return verdicts.get(key, ctx.settings.security.policy, () => judge(ctx, gitdir, commit, engine));
}

/** The Engine as the request-level policy sees it (accept-commit.ts); by default, a fresh look. */
type EngineView = () => Promise<HostSnapshot>;

/**
 * The last good commit's desired state when it passes the re-check; otherwise LastGoodRejectedError,
 * which reconcile turns into the "halted" outcome. `target` is the pass's branch head.
 */
export async function loadCheckedLastGood(ctx: ReconcileContext, gitdir: string, lastGood: string, target: string, engine?: EngineView): Promise<DesiredState> {
  const verdict = await recheckLastGood(ctx, gitdir, lastGood, engine);
  if (verdict.ok) return verdict.desired;
  throw new LastGoodRejectedError({ commit: lastGood, target, stage: verdict.check, reason: verdict.reason, cause: verdict.error });
}

async function judge(ctx: ReconcileContext, gitdir: string, commit: string, engine: EngineView | undefined): Promise<LastGoodVerdict> {
  // No state: no history check (the last good commit descends from itself).
  const verdict = await acceptCommit(ctx, gitdir, commit, engine ? { engine } : {});
  if (verdict.ok) return { ok: true, desired: verdict.desired };
  return { ok: false, check: REJECTED_BY[verdict.error.code].check, reason: firstLine(verdict.error), error: verdict.error };
}

/** The image signature trust files' bytes (keys, trusted roots): a rotated key is judged at the next pass, as for a new target. */
async function imageTrustKey(policy: HostPolicy): Promise<string> {
  const files = policy.imageSignatures.flatMap((r) => [...r.keys.filter((k) => k.startsWith("/")), ...(r.keyless ? [r.keyless.trustedRoot] : [])]);
  return (await Promise.all(files.map((f) => digestOf(f)))).join("\0");
}

async function digestOf(file: string): Promise<string> {
  return readFile(file).then(
    (b) => createHash("sha256").update(b).digest("hex"),
    () => "unreadable",
  );
}

/** What a signature verdict depends on besides the commit: the mode and the trust files' bytes. */
async function trustKey(verify: VerifySettings): Promise<string> {
  if (verify.mode === "off") return "off";
  const digest = (file: string | undefined) => (file === undefined ? "-" : digestOf(file));
  return [
    verify.mode,
    verify.allowedSigners ?? "-",
    await digest(verify.allowedSigners),
    verify.openpgpKeyring ?? "-",
    await digest(verify.openpgpKeyring),
  ].join("\0");
}
