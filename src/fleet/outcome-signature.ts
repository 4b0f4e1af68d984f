import { sign } from "node:crypto";
import { parseSshSignature, signedData, verifySshSignature } from "../source/sshsig.js";
import type { SshPublicKey } from "../source/ssh-public-key.js";
import { SshWireError, sshString, sshUint32 } from "../source/ssh-wire.js";
import type { Ed25519KeyPair } from "./openssh-private-key.js";

/**
 * Outcome lines signed by the host that wrote them, so the wave rule can count only what a host
 * really reported. The signature is OpenSSH's SSHSIG (the format gitdock verifies on commits),
 * in its own namespace, over the annotated commit and the line: a line copied onto another commit
 * does not verify. It is appended to the line as ` sshsig:<base64 of the SSHSIG blob>`; an older
 * gitdock reads it as part of the detail.
 */
export const OUTCOME_NAMESPACE = "gitdock-outcome";
const HASH = "sha512";
const MARK = " sshsig:";
const SIGNED = /^(.*) sshsig:([A-Za-z0-9+/]+={0,2})$/;

/** What is signed: a fixed prefix, the commit and the line, NUL-separated (neither contains NUL). */
export function outcomeMessage(commit: string, line: string): Buffer {
  return Buffer.from(`gitdock outcome line v1\0${commit}\0${line}`, "utf8");
}

export function signOutcomeLine(key: Ed25519KeyPair, commit: string, line: string): string {
  const data = signedData({ namespace: OUTCOME_NAMESPACE, hashAlgorithm: HASH }, outcomeMessage(commit, line));
  const signature = Buffer.concat([sshString("ssh-ed25519"), sshString(sign(null, data, key.privateKey))]);
  const blob = Buffer.concat([
    Buffer.from("SSHSIG"),
    sshUint32(1),
    sshString(key.publicBlob),
    sshString(OUTCOME_NAMESPACE),
    sshString(""),
    sshString(HASH),
    sshString(signature),
  ]);
  return `${line}${MARK}${blob.toString("base64")}`;
}

/** A note's line as written, and its signature when it carries one. */
export function splitSignedLine(text: string): { line: string; signature: string | undefined } {
  const m = SIGNED.exec(text);
  return m ? { line: m[1]!, signature: m[2]! } : { line: text, signature: undefined };
}

export type SignatureCheck = "valid" | "unsigned" | "bad-signature" | "other-key";

/** Does `signature` sign `line` on `commit` with exactly `key`, in gitdock's namespace? */
export function checkOutcomeSignature(commit: string, line: string, signature: string | undefined, key: SshPublicKey): SignatureCheck {
  if (signature === undefined) return "unsigned";
  let sig;
  try {
    sig = parseSshSignature(`-----BEGIN SSH SIGNATURE-----\n${signature}\n-----END SSH SIGNATURE-----`);
  } catch (err) {
    if (err instanceof SshWireError) return "bad-signature";
    throw err;
  }
  if (!sig.publicKey.blob.equals(key.blob)) return "other-key";
  if (sig.namespace !== OUTCOME_NAMESPACE) return "bad-signature";
  return verifySshSignature(sig, outcomeMessage(commit, line)) ? "valid" : "bad-signature";
}
