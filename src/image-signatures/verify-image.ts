import type { RegistrySession } from "../registry/index.js";
import { findBundles, findClassicSignatures } from "./find-signatures.js";
import { judgeClassic } from "./judge-classic.js";
import type { ScopeTrust } from "./scope-trust.js";
import { betterVerdict, type ImageVerdict } from "./verdict.js";

/**
 * An image's verdict under its scope's trust: cosign's classic layout first, then Sigstore bundle
 * referrers (asked only when the classic layout has no valid signature, so a signed image costs
 * one manifest and one blob). One valid signature is enough; otherwise the most telling failure
 * is the verdict, `missing` when neither layout has anything.
 */
export async function verifyImage(session: RegistrySession, repository: string, digest: string, trust: ScopeTrust): Promise<ImageVerdict> {
  let verdict: ImageVerdict = {
    status: "missing",
    reason: `no signature found (neither the ${digest.replace(":", "-")}.sig tag nor a Sigstore bundle referring to the image)`,
  };
  for (const found of await findClassicSignatures(session, repository, digest)) {
    verdict = betterVerdict(
      verdict,
      found.ok ? await judgeClassic(found.value.sig, found.value.payload, digest, trust) : { status: "malformed", reason: found.problem },
    );
    if (verdict.status === "valid") return verdict;
  }
  const { bundles } = await findBundles(session, repository, digest);
  if (bundles.length === 0) return verdict;
  // The Sigstore libraries load only when there is a bundle to judge (about 10 MB in memory).
  const { judgeBundle } = await import("./judge-bundle.js");
  for (const found of bundles) {
    verdict = betterVerdict(verdict, found.ok ? judgeBundle(found.value, digest, trust) : { status: "malformed", reason: found.problem });
    if (verdict.status === "valid") return verdict;
  }
  return verdict;
}
