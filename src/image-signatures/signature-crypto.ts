import { verify } from "node:crypto";
import type { SigningKey } from "./public-keys.js";

/**
 * Does `signature` sign `data` under `key`? ECDSA P-256 over SHA-256 with an ASN.1 DER signature
 * (cosign's), or pure Ed25519. A signature that cannot even be parsed is simply not valid.
 */
export function signs(key: SigningKey, data: Buffer, signature: Buffer): boolean {
  try {
    return key.algorithm === "ed25519" ? verify(null, data, key.key, signature) : verify("sha256", data, { key: key.key, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}
