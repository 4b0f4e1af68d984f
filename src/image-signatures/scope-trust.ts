import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { TrustMaterial } from "@sigstore/verify";
import { ConfigInvalidError } from "../errors.js";
import type { ImageSignatureRule, KeylessIdentity } from "../policy/host-policy.js";
import { parseSigningKey, type SigningKey } from "./public-keys.js";

/**
 * What one scope of `image_signatures` trusts, read from the config and the files it names: the
 * keys, and for keyless signatures the trusted root and the identities. Read on every pass (a
 * rotated key takes effect at the next one); a file that is missing, unreadable or not what it
 * should be fails the pass with a configuration error rather than trusting less or more than
 * configured. `id` changes whenever anything here does: verdicts are cached under it.
 */
export interface ScopeTrust {
  rule: ImageSignatureRule;
  keys: SigningKey[];
  keyless: KeylessTrust | undefined;
  id: string;
}

export interface KeylessTrust {
  material: TrustMaterial;
  identities: KeylessIdentity[];
  /** What the trusted root vouches for is required: an SCT when it lists CT logs, a log entry when it lists transparency logs. */
  thresholds: { ctlogThreshold: number; tlogThreshold: number; timestampThreshold: number };
}

export async function loadScopeTrust(rule: ImageSignatureRule): Promise<ScopeTrust> {
  const keys = await Promise.all(rule.keys.map((entry, i) => loadKey(rule.scope, entry, i)));
  const keyless = rule.keyless && (await loadKeyless(rule.scope, rule.keyless.trustedRoot, rule.keyless.identities));
  const id = createHash("sha256")
    .update(
      JSON.stringify({
        scope: rule.scope,
        keys: keys.map((k) => k.fingerprint),
        keyless: keyless && { root: keyless.rootDigest, identities: rule.keyless?.identities },
      }),
    )
    .digest("hex");
  return { rule, keys, keyless: keyless?.trust, id };
}

async function loadKey(scope: string, entry: string, index: number): Promise<SigningKey> {
  const isFile = entry.startsWith("/");
  const pem = isFile ? await readTrustFile(scope, entry, "key") : entry;
  const parsed = parseSigningKey(pem.toString(), isFile ? entry : `inline key ${index + 1}`);
  if ("problem" in parsed) {
    throw new ConfigInvalidError(`security.policy.image_signatures (scope ${scope}): ${isFile ? entry : `key ${index + 1}`}: ${parsed.problem}`, {
      hint: 'Give the public key cosign made (cosign.pub), an ECDSA P-256 or Ed25519 PEM "PUBLIC KEY".',
    });
  }
  return parsed;
}

/** Parsed trusted roots by the sha256 of their bytes: parsing is the costly part, reading is not. */
const roots = new Map<string, TrustMaterial>();

async function loadKeyless(scope: string, file: string, identities: KeylessIdentity[]): Promise<{ trust: KeylessTrust; rootDigest: string }> {
  const bytes = await readTrustFile(scope, file, "trusted root");
  const rootDigest = createHash("sha256").update(bytes).digest("hex");
  let material = roots.get(rootDigest);
  if (!material) {
    // Loaded only for keyless scopes: the Sigstore libraries weigh about 10 MB in an agent's memory.
    const [{ TrustedRoot }, { toTrustMaterial }] = await Promise.all([import("@sigstore/protobuf-specs"), import("@sigstore/verify")]);
    try {
      material = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(bytes.toString("utf8"))));
    } catch (err) {
      throw new ConfigInvalidError(
        `security.policy.image_signatures (scope ${scope}): ${file} is not a Sigstore trusted_root.json: ${(err as Error).message}`,
        {
          hint: "Use the trusted_root.json of your Sigstore instance (for the public one: `cosign trusted-root create` or the TUF repository's trusted_root.json).",
        },
      );
    }
    if (material.certificateAuthorities.length === 0) {
      throw new ConfigInvalidError(
        `security.policy.image_signatures (scope ${scope}): ${file} lists no certificate authority, so no keyless signature can verify`,
      );
    }
    roots.set(rootDigest, material);
    while (roots.size > 8) roots.delete(roots.keys().next().value as string);
  }
  const thresholds = { ctlogThreshold: material.ctlogs.length > 0 ? 1 : 0, tlogThreshold: material.tlogs.length > 0 ? 1 : 0, timestampThreshold: 1 };
  return { trust: { material, identities, thresholds }, rootDigest };
}

async function readTrustFile(scope: string, file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigInvalidError(
      `security.policy.image_signatures (scope ${scope}): cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        hint: "Restore the file (owned by root) or change the policy; gitdock changes nothing until it can read what the policy names.",
      },
    );
  }
}
