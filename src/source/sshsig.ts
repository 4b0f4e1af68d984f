import { createHash, verify as cryptoVerify } from "node:crypto";
import { ecdsaCoordinateBytes, parseSshPublicKey, type SshPublicKey } from "./ssh-public-key.js";
import { SshWireError, SshWireReader, sshString } from "./ssh-wire.js";

/**
 * OpenSSH's signature format (PROTOCOL.sshsig), which `git` writes into a commit's `gpgsig`
 * header when `gpg.format=ssh`:
 *
 *   "SSHSIG" || uint32 version=1 || string publickey || string namespace || string reserved
 *            || string hash_algorithm || string signature
 *
 * The signature covers "SSHSIG" || string namespace || string reserved || string hash_algorithm
 * || string H(message), not the message itself.
 */
export interface SshSignature {
  publicKey: SshPublicKey;
  namespace: string;
  hashAlgorithm: "sha256" | "sha512";
  /** The signature's own algorithm: `ssh-ed25519`, `rsa-sha2-512`, `ecdsa-sha2-nistp256`, ... */
  signatureType: string;
  signature: Buffer;
}

const MAGIC = Buffer.from("SSHSIG");
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";
const MAX_ARMOR_CHARS = 64 * 1024;

export function isSshSignature(armored: string): boolean {
  return armored.trimStart().startsWith(BEGIN);
}

/** Parses the armored form; throws SshWireError when anything about it is malformed. */
export function parseSshSignature(armored: string): SshSignature {
  if (armored.length > MAX_ARMOR_CHARS) throw new SshWireError("signature is implausibly large");
  const text = armored.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw new SshWireError("missing SSH SIGNATURE armor lines");
  const body = text.slice(BEGIN.length, text.length - END.length).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new SshWireError("armor is not base64");
  const r = new SshWireReader(Buffer.from(body, "base64"));
  if (!r.bytes(MAGIC.length).equals(MAGIC)) throw new SshWireError("not an SSHSIG blob");
  const version = r.uint32();
  if (version !== 1) throw new SshWireError(`unsupported SSHSIG version ${version}`);
  const publicKey = parseSshPublicKey(r.string());
  const namespace = r.text();
  r.string(); // reserved
  const hash = r.text();
  if (hash !== "sha256" && hash !== "sha512") throw new SshWireError(`unsupported hash algorithm ${hash}`);
  const sig = new SshWireReader(r.string());
  r.end();
  const signatureType = sig.text();
  const signature = sig.string();
  sig.end();
  return { publicKey, namespace, hashAlgorithm: hash, signatureType, signature };
}

/** The bytes the signer actually signed for `message`. */
export function signedData(sig: Pick<SshSignature, "namespace" | "hashAlgorithm">, message: Buffer): Buffer {
  const digest = createHash(sig.hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, sshString(sig.namespace), sshString(""), sshString(sig.hashAlgorithm), sshString(digest)]);
}

/**
 * True when `sig` is a valid signature of `message` by its embedded public key. The caller decides
 * whether that key is trusted and whether the namespace is the one expected. Weak or mismatched
 * algorithms (`ssh-rsa` with SHA-1, an ECDSA signature from an RSA key) count as invalid.
 */
export function verifySshSignature(sig: SshSignature, message: Buffer): boolean {
  const data = signedData(sig, message);
  const { type, key } = sig.publicKey;
  try {
    if (type === "ssh-ed25519") {
      return sig.signatureType === "ssh-ed25519" && cryptoVerify(null, data, key, sig.signature);
    }
    if (type === "ssh-rsa") {
      const hash = sig.signatureType === "rsa-sha2-512" ? "sha512" : sig.signatureType === "rsa-sha2-256" ? "sha256" : undefined;
      return hash !== undefined && cryptoVerify(hash, data, key, sig.signature);
    }
    const size = ecdsaCoordinateBytes(type);
    if (size === undefined || sig.signatureType !== type) return false;
    const rs = ecdsaRs(sig.signature, size);
    const hash = size === 32 ? "sha256" : size === 48 ? "sha384" : "sha512";
    return rs !== undefined && cryptoVerify(hash, data, { key, dsaEncoding: "ieee-p1363" }, rs);
  } catch {
    return false;
  }
}

/** SSH's ECDSA signature is `mpint r || mpint s`; node:crypto wants them as fixed-size r||s. */
function ecdsaRs(blob: Buffer, size: number): Buffer | undefined {
  try {
    const r = new SshWireReader(blob);
    const rr = r.mpint();
    const ss = r.mpint();
    r.end();
    if (rr.length > size || ss.length > size) return undefined;
    return Buffer.concat([Buffer.alloc(size - rr.length), rr, Buffer.alloc(size - ss.length), ss]);
  } catch {
    return undefined;
  }
}
