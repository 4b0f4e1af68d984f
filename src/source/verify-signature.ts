import fs from "node:fs";
import git from "isomorphic-git";
import { findSigners, type AllowedSignersFile } from "./allowed-signers.js";
import { splitCommitSignature } from "./commit-signature.js";
import { isOpenPgpSignature, verifyOpenPgp, type OpenPgpKeyring } from "./openpgp-verify.js";
import { isSshSignature, parseSshSignature, verifySshSignature } from "./sshsig.js";

/** The keys this host trusts to sign commits, read from files only root controls. */
export interface TrustAnchors {
  allowedSigners: AllowedSignersFile | undefined;
  keyring: OpenPgpKeyring | undefined;
}

/** Who signed a commit: enough to name the key in `status` and logs, nothing secret. */
export interface Signer {
  format: "ssh" | "openpgp";
  /** `SHA256:...` for SSH keys (as `ssh-keygen -l` shows it), the primary key's fingerprint for OpenPGP. */
  fingerprint: string;
  /** The allowed_signers principals, or the OpenPGP key's user IDs. */
  principal: string;
}

/**
 * Why a signature is not accepted, as a closed set:
 *  - missing:      the commit carries no signature;
 *  - malformed:    it carries one that cannot be read;
 *  - untrusted:    a readable signature by a key this host does not trust (or not for git, or not then);
 *  - tampered:     a trusted key's signature that does not match the commit's content;
 *  - wrong-format: a kind of signature this host cannot or is not set up to verify (X.509, OpenPGP
 *                  without a keyring, SSH without allowed_signers, an SSH signature for another namespace).
 */
export type SignatureFailure = "missing" | "malformed" | "untrusted" | "tampered" | "wrong-format";

export type SignatureVerdict = { status: "valid"; signer: Signer } | { status: SignatureFailure; reason: string };

/** SSH signatures made by git use this namespace; one made for files or mail is not a commit signature. */
export const GIT_NAMESPACE = "git";

/** Reads the commit object itself (not a parsed form) so the signed bytes are exactly git's. */
export async function verifyCommitSignature(gitdir: string, commit: string, anchors: TrustAnchors): Promise<SignatureVerdict> {
  const { type, object } = await git.readObject({ fs, gitdir, oid: commit, format: "content" });
  if (type !== "commit" || !(object instanceof Uint8Array)) return { status: "malformed", reason: `${commit} is not a commit object` };
  return verifyCommitObject(Buffer.from(object), anchors);
}

/** The pure part, on the raw commit object's bytes. */
export async function verifyCommitObject(raw: Buffer, anchors: TrustAnchors): Promise<SignatureVerdict> {
  const { signature, payload, committedAt } = splitCommitSignature(raw);
  if (signature === undefined) return { status: "missing", reason: "the commit is not signed" };
  if (isSshSignature(signature)) return verifySsh(signature, payload, committedAt ?? new Date(), anchors.allowedSigners);
  if (isOpenPgpSignature(signature)) return verifyPgp(signature, payload, anchors.keyring);
  if (/^-----BEGIN (?:SIGNED MESSAGE|PKCS7)-----/.test(signature.trimStart())) {
    return { status: "wrong-format", reason: "the commit has an X.509 (gpgsm) signature; this host verifies SSH and OpenPGP signatures" };
  }
  return { status: "malformed", reason: "the commit's signature is neither an SSH nor an OpenPGP signature" };
}

function verifySsh(armored: string, payload: Buffer, when: Date, allowed: AllowedSignersFile | undefined): SignatureVerdict {
  if (!allowed) {
    return { status: "wrong-format", reason: "the commit has an SSH signature, but no security.verify.allowed_signers is configured" };
  }
  let sig;
  try {
    sig = parseSshSignature(armored);
  } catch (err) {
    return { status: "malformed", reason: `the SSH signature cannot be read: ${(err as Error).message}` };
  }
  const fp = sig.publicKey.fingerprint;
  if (sig.namespace !== GIT_NAMESPACE) {
    return { status: "wrong-format", reason: `the SSH signature by ${fp} is for namespace "${sig.namespace}", not "${GIT_NAMESPACE}"` };
  }
  const signers = findSigners(allowed, sig.publicKey, GIT_NAMESPACE, when);
  if (signers.length === 0) {
    return { status: "untrusted", reason: `signed by SSH key ${fp}, which allowed_signers does not list for namespace git at the commit's time` };
  }
  if (!verifySshSignature(sig, payload)) {
    return { status: "tampered", reason: `the SSH signature by ${fp} does not match the commit's content` };
  }
  const principal = [...new Set(signers.flatMap((s) => s.principals))].join(",");
  return { status: "valid", signer: { format: "ssh", fingerprint: fp, principal } };
}

async function verifyPgp(armored: string, payload: Buffer, keyring: OpenPgpKeyring | undefined): Promise<SignatureVerdict> {
  if (!keyring) {
    return { status: "wrong-format", reason: "the commit has an OpenPGP signature, but no security.verify.openpgp_keyring is configured" };
  }
  const r = await verifyOpenPgp(armored, payload, keyring);
  if (r.kind === "valid") return { status: "valid", signer: { format: "openpgp", fingerprint: r.fingerprint, principal: r.principal } };
  const status = r.kind === "bad" ? "tampered" : r.kind;
  return { status, reason: r.detail };
}
