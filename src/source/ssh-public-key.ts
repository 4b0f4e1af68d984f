import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { SshWireError, SshWireReader } from "./ssh-wire.js";

/** The SSH key types gitdock verifies: the ones `ssh-keygen -t ed25519|ecdsa|rsa` makes. */
export type SshKeyType = "ssh-ed25519" | "ssh-rsa" | "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521";

export interface SshPublicKey {
  type: SshKeyType;
  /** The key's wire encoding (what `ssh-keygen` base64-encodes in a .pub line). */
  blob: Buffer;
  key: KeyObject;
  /** `SHA256:<base64>`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

const CURVES: Record<string, { name: string; jwk: string; bytes: number }> = {
  "ecdsa-sha2-nistp256": { name: "nistp256", jwk: "P-256", bytes: 32 },
  "ecdsa-sha2-nistp384": { name: "nistp384", jwk: "P-384", bytes: 48 },
  "ecdsa-sha2-nistp521": { name: "nistp521", jwk: "P-521", bytes: 66 },
};

/** Smallest RSA modulus accepted, as OpenSSH does since 8.x. */
const MIN_RSA_BITS = 1024;

/** Parses an SSH public key blob; throws SshWireError for anything malformed or of another type. */
export function parseSshPublicKey(blob: Buffer): SshPublicKey {
  const r = new SshWireReader(blob);
  const type = r.text();
  let key: KeyObject;
  if (type === "ssh-ed25519") {
    const x = r.string();
    if (x.length !== 32) throw new SshWireError("ed25519 key is not 32 bytes");
    key = jwkKey({ kty: "OKP", crv: "Ed25519", x: b64url(x) });
  } else if (type === "ssh-rsa") {
    const e = r.mpint();
    const n = r.mpint();
    if (n.length * 8 < MIN_RSA_BITS) throw new SshWireError(`RSA key shorter than ${MIN_RSA_BITS} bits`);
    key = jwkKey({ kty: "RSA", n: b64url(n), e: b64url(e) });
  } else if (Object.hasOwn(CURVES, type)) {
    const curve = CURVES[type] as { name: string; jwk: string; bytes: number };
    if (r.text() !== curve.name) throw new SshWireError("ECDSA curve does not match the key type");
    const q = r.string();
    if (q.length !== 1 + 2 * curve.bytes || q[0] !== 0x04) throw new SshWireError("ECDSA point is not uncompressed");
    const x = q.subarray(1, 1 + curve.bytes);
    const y = q.subarray(1 + curve.bytes);
    key = jwkKey({ kty: "EC", crv: curve.jwk, x: b64url(x), y: b64url(y) });
  } else {
    throw new SshWireError(`unsupported key type ${type}`);
  }
  r.end();
  return { type: type as SshKeyType, blob, key, fingerprint: sshFingerprint(blob) };
}

export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The curve's coordinate size in bytes, for turning an SSH ECDSA signature into r||s. */
export function ecdsaCoordinateBytes(type: SshKeyType): number | undefined {
  return CURVES[type]?.bytes;
}

/** node:crypto rejects points off the curve and the like; that is a malformed key too. */
function jwkKey(jwk: JsonWebKey): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: "jwk" });
  } catch (err) {
    throw new SshWireError(`invalid public key: ${(err as Error).message}`);
  }
}

function b64url(b: Buffer): string {
  return b.toString("base64url");
}
