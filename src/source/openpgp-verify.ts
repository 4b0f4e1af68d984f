import type * as OpenPgp from "openpgp";

/**
 * OpenPGP.js is loaded only when a keyring is configured: it is about 16 MB of an idle agent's
 * memory that hosts verifying SSH signatures (or none) never need.
 */
const loadOpenPgp = () => import("openpgp");

/** A keyring read from an armored file: the keys a host trusts to sign commits. */
export interface OpenPgpKeyring {
  keys: OpenPgp.Key[];
}

export type OpenPgpResult =
  | { kind: "valid"; fingerprint: string; principal: string }
  | { kind: "malformed"; detail: string }
  | { kind: "untrusted"; detail: string }
  | { kind: "bad"; detail: string };

export function isOpenPgpSignature(armored: string): boolean {
  return armored.trimStart().startsWith("-----BEGIN PGP SIGNATURE-----");
}

/** Reads every public key in an armored keyring (`gpg --export --armor` output, concatenated). */
export async function readOpenPgpKeyring(armored: string): Promise<OpenPgpKeyring> {
  const openpgp = await loadOpenPgp();
  return { keys: await openpgp.readKeys({ armoredKeys: armored }) };
}

/**
 * Verifies a detached signature over `payload` (git signs the commit bytes with `gpg -bsa`).
 * The issuer must be a key (or subkey) of the keyring; the key must be valid — not expired or
 * revoked — at the signature's time, and the signature must match the bytes.
 */
export async function verifyOpenPgp(armored: string, payload: Buffer, keyring: OpenPgpKeyring): Promise<OpenPgpResult> {
  const openpgp = await loadOpenPgp();
  let signature: OpenPgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: armored });
  } catch (err) {
    return { kind: "malformed", detail: `not a readable OpenPGP signature: ${(err as Error).message}` };
  }
  const issuers = signature.getSigningKeyIDs();
  if (issuers.length === 0) return { kind: "malformed", detail: "the OpenPGP signature names no issuer key" };
  const trusted = issuers.flatMap((id) => keyring.keys.filter((k) => k.getKeys(id).length > 0));
  if (trusted.length === 0) {
    return { kind: "untrusted", detail: `signed by OpenPGP key ${issuers.map((id) => id.toHex().toUpperCase()).join(", ")}, which is not in the keyring` };
  }
  try {
    const message = await openpgp.createMessage({ binary: new Uint8Array(payload) });
    const result = await openpgp.verify({ message, signature, verificationKeys: trusted, format: "binary" });
    const failures: string[] = [];
    for (const s of result.signatures) {
      try {
        await s.verified;
        const key = trusted.find((k) => k.getKeys(s.keyID).length > 0);
        if (key) return { kind: "valid", fingerprint: key.getFingerprint().toUpperCase(), principal: key.getUserIDs().join(", ") };
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    return classify(failures.join("; ") || "no signature");
  } catch (err) {
    return classify((err as Error).message);
  }
}

/**
 * A digest or signature that does not match the bytes means the content changed after signing.
 * Anything else (an expired or revoked key, a rejected hash algorithm, a creation time in the
 * future) is a good-looking signature this host still does not trust.
 */
function classify(message: string): OpenPgpResult {
  if (/Signed digest did not match|Signature verification failed/i.test(message)) {
    return { kind: "bad", detail: `the OpenPGP signature does not match the commit's content (${message})` };
  }
  return { kind: "untrusted", detail: `the OpenPGP signature is not acceptable: ${message}` };
}
