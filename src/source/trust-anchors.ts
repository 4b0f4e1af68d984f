import { readFile } from "node:fs/promises";
import type { VerifySettings } from "../config/security-section.js";
import { ConfigInvalidError } from "../errors.js";
import { parseAllowedSigners } from "./allowed-signers.js";
import { readOpenPgpKeyring } from "./openpgp-verify.js";
import type { TrustAnchors } from "./verify-signature.js";

export interface LoadedTrustAnchors {
  anchors: TrustAnchors;
  /** allowed_signers lines that were skipped, for a warning: a typo must not go unnoticed. */
  warnings: string[];
}

/**
 * Reads the trusted keys from their files on every reconcile, so rotating a key needs no restart.
 * A configured file that cannot be read or holds no usable key is a configuration error: gitdock
 * never falls back to trusting less (or more) than the configuration says.
 */
export async function loadTrustAnchors(verify: VerifySettings): Promise<LoadedTrustAnchors> {
  const warnings: string[] = [];
  let allowedSigners: TrustAnchors["allowedSigners"];
  if (verify.allowedSigners) {
    const file = parseAllowedSigners(await readTrustFile(verify.allowedSigners, "allowed_signers"));
    for (const p of file.problems) warnings.push(`${verify.allowedSigners}:${p.line}: skipped: ${p.message}`);
    if (file.signers.length === 0) {
      throw new ConfigInvalidError(`${verify.allowedSigners} lists no usable signer`, {
        hint: 'Each line: principals [namespaces="git"] keytype base64-key, e.g. the output of `echo "alice@example.com $(cat id_ed25519.pub)"`.',
      });
    }
    allowedSigners = file;
  }
  let keyring: TrustAnchors["keyring"];
  if (verify.openpgpKeyring) {
    const text = await readTrustFile(verify.openpgpKeyring, "openpgp_keyring");
    try {
      keyring = await readOpenPgpKeyring(text);
    } catch (err) {
      throw new ConfigInvalidError(`${verify.openpgpKeyring} is not an armored OpenPGP keyring: ${(err as Error).message}`, {
        hint: "Export the trusted keys with `gpg --export --armor KEYID... > FILE`.",
      });
    }
  }
  return { anchors: { allowedSigners, keyring }, warnings };
}

async function readTrustFile(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read security.verify.${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "The file must exist and be readable by gitdock (owned by root, not writable by others).",
    });
  }
}
