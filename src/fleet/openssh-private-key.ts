import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { SshWireError, SshWireReader, sshString, sshUint32 } from "../source/ssh-wire.js";

/**
 * Ed25519 keys in OpenSSH's own private key file format (PROTOCOL.key, "openssh-key-v1",
 * unencrypted), the format `ssh-keygen -t ed25519 -N ''` writes. node:crypto reads PEM and JWK but
 * not this format, and the one library that does (sshpk) is unmaintained; the format is a few
 * length-prefixed strings (the same wire encoding src/source/sshsig.ts reads), so it is written
 * here. Using OpenSSH's format means an operator can bring a key made with `ssh-keygen`, and
 * `ssh-keygen -y -f <file>` prints the public key of one gitdock made.
 */
export interface Ed25519KeyPair {
  privateKey: KeyObject;
  /** The public key's SSH wire blob (`string "ssh-ed25519" || string pk`). */
  publicBlob: Buffer;
  comment: string;
}

const MAGIC = Buffer.from("openssh-key-v1\0");
const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
const KEY_TYPE = "ssh-ed25519";

export function generateEd25519(comment: string): Ed25519KeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicBlob: publicBlobOf(privateKey), comment };
}

/** The `ssh-ed25519 AAAA… comment` line for authorized keys, allowed signers and the fleet file. */
export function publicKeyLine(pair: Ed25519KeyPair): string {
  return `${KEY_TYPE} ${pair.publicBlob.toString("base64")}${pair.comment ? ` ${pair.comment}` : ""}`;
}

export function formatOpenSshPrivateKey(pair: Ed25519KeyPair): string {
  const { seed, pk } = rawKey(pair.privateKey);
  const check = randomBytes(4);
  const body = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(pk), sshString(Buffer.concat([seed, pk])), sshString(pair.comment)]);
  const padded = Buffer.concat([body, padding(body.length)]);
  const blob = Buffer.concat([MAGIC, sshString("none"), sshString("none"), sshString(""), sshUint32(1), sshString(pair.publicBlob), sshString(padded)]);
  const lines = blob.toString("base64").match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join("\n")}\n${END}\n`;
}

/** Reads an unencrypted Ed25519 key in OpenSSH's format; throws SshWireError for anything else. */
export function parseOpenSshPrivateKey(text: string): Ed25519KeyPair {
  const trimmed = text.trim();
  if (!trimmed.startsWith(BEGIN) || !trimmed.endsWith(END)) throw new SshWireError("not an OpenSSH private key (BEGIN OPENSSH PRIVATE KEY)");
  const r = new SshWireReader(Buffer.from(trimmed.slice(BEGIN.length, -END.length).replace(/\s+/g, ""), "base64"));
  if (!r.bytes(MAGIC.length).equals(MAGIC)) throw new SshWireError("not an openssh-key-v1 key");
  if (r.text() !== "none" || r.text() !== "none")
    throw new SshWireError("the key is encrypted with a passphrase; gitdock needs an unencrypted key (ssh-keygen -N '')");
  r.string(); // kdf options
  if (r.uint32() !== 1) throw new SshWireError("the file holds more than one key");
  const publicBlob = r.string();
  const p = new SshWireReader(r.string());
  r.end();
  if (p.uint32() !== p.uint32()) throw new SshWireError("the key's check numbers differ (corrupt file)");
  if (p.text() !== KEY_TYPE) throw new SshWireError("only ssh-ed25519 keys can sign outcome lines");
  const pk = p.string();
  const both = p.string();
  const comment = p.string().toString("utf8");
  if (pk.length !== 32 || both.length !== 64 || !both.subarray(32).equals(pk)) throw new SshWireError("malformed ed25519 key");
  const privateKey = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: both.subarray(0, 32).toString("base64url"), x: pk.toString("base64url") },
    format: "jwk",
  });
  if (!publicBlobOf(privateKey).equals(publicBlob)) throw new SshWireError("the public key does not match the private key");
  return { privateKey, publicBlob, comment };
}

function publicBlobOf(privateKey: KeyObject): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(rawKey(privateKey).pk)]);
}

/** An ed25519 private key's JWK holds both halves: `d` the seed, `x` the public key. */
function rawKey(privateKey: KeyObject): { seed: Buffer; pk: Buffer } {
  const jwk = privateKey.export({ format: "jwk" });
  return { seed: Buffer.from(jwk.d ?? "", "base64url"), pk: Buffer.from(jwk.x ?? "", "base64url") };
}

/** 1, 2, 3, … up to a multiple of 8 (the "none" cipher's block size). */
function padding(length: number): Buffer {
  const n = (8 - (length % 8)) % 8;
  return Buffer.from(Array.from({ length: n }, (_, i) => i + 1));
}
