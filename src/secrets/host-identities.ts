import { createHmac, randomBytes } from "node:crypto";
import { lstat, readFile } from "node:fs/promises";
import type * as OpenPgp from "openpgp";
import { IdentityFileError } from "../errors.js";

/**
 * The keys this host decrypts with, read from the files the agent config names (`secrets:`): an age
 * identity file (`age-keygen` output: X25519 `AGE-SECRET-KEY-1…` lines, or post-quantum hybrid
 * `AGE-SECRET-KEY-PQ-1…` lines) and an armored OpenPGP private key without a passphrase. Each file
 * must be a regular file owned by root and readable by nobody else: whoever reads it reads every
 * secret of the repository. The keys stay in this object; only their public halves are ever shown.
 */
export interface HostIdentities {
  /** age identities with their recipients (`age1…`, `age1pq1…`). */
  age: { identity: string; recipient: string }[];
  pgp: OpenPgp.PrivateKey[];
  /** Fingerprints (upper-case hex) of the OpenPGP keys and their subkeys. */
  pgpFingerprints: string[];
  /** A keyed digest of every key, for caches: it changes when a key does. */
  digest: string;
}

export interface IdentityFiles {
  ageIdentityFile: string | undefined;
  openpgpPrivateKeyFile: string | undefined;
}

export const NO_IDENTITIES: HostIdentities = { age: [], pgp: [], pgpFingerprints: [], digest: "none" };

const DIGEST_KEY = randomBytes(32);

/**
 * `rootOnly: false` is for `gitdock validate --identity` in CI, where the key comes from the CI's
 * secret store into a file of the runner's user; the agent always requires root-only files. No file
 * named: NO_IDENTITIES.
 */
export async function loadHostIdentities(files: IdentityFiles, opts: { rootOnly?: boolean } = {}): Promise<HostIdentities> {
  if (files.ageIdentityFile === undefined && files.openpgpPrivateKeyFile === undefined) return NO_IDENTITIES;
  const digest = createHmac("sha256", DIGEST_KEY);
  const rootOnly = opts.rootOnly ?? true;
  const age = files.ageIdentityFile === undefined ? [] : await ageIdentities(files.ageIdentityFile, digest, rootOnly);
  const pgp = files.openpgpPrivateKeyFile === undefined ? [] : await pgpKeys(files.openpgpPrivateKeyFile, digest, rootOnly);
  const pgpFingerprints = pgp.flatMap((k) => [k.getFingerprint(), ...k.getSubkeys().map((s) => s.getFingerprint())].map((f) => f.toUpperCase()));
  return { age, pgp, pgpFingerprints, digest: digest.digest("hex") };
}

/** An identity file given on the command line: age identities or an armored OpenPGP private key, told apart by content. */
export async function loadIdentityFile(file: string): Promise<HostIdentities> {
  const head = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw identityError(
      file,
      `cannot be read: ${err.code ?? err.message}`,
      "Give the age identity file (age-keygen output) or an armored OpenPGP private key.",
    );
  });
  const pgp = head.includes("-----BEGIN PGP PRIVATE KEY BLOCK-----");
  return loadHostIdentities({ ageIdentityFile: pgp ? undefined : file, openpgpPrivateKeyFile: pgp ? file : undefined }, { rootOnly: false });
}

/** How an operator names this host's keys: its age recipients and OpenPGP fingerprints. */
export function describeIdentities(ids: HostIdentities): string[] {
  return [...ids.age.map((a) => `age ${a.recipient}`), ...ids.pgp.map((k) => `pgp ${k.getFingerprint().toUpperCase()}`)];
}

async function ageIdentities(file: string, digest: ReturnType<typeof createHmac>, rootOnly: boolean): Promise<HostIdentities["age"]> {
  const text = await readKeyFile(file, "age identity file", rootOnly);
  digest.update(`age\0${text}\0`);
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) throw identityError(file, "holds no age identity", "Write the output of `age-keygen` into it.");
  const { identityToRecipient } = await import("age-encryption");
  return Promise.all(
    lines.map(async (identity, i) => {
      if (!/^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/.test(identity)) {
        throw identityError(
          file,
          `line ${i + 1} is not an age identity (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)`,
          "Plugin and SSH identities are not supported; use an age-keygen identity.",
        );
      }
      const recipient = await identityToRecipient(identity).catch(() => {
        throw identityError(file, `line ${i + 1} is not a valid age identity`, "Write the output of `age-keygen` into it.");
      });
      return { identity, recipient };
    }),
  );
}

async function pgpKeys(file: string, digest: ReturnType<typeof createHmac>, rootOnly: boolean): Promise<OpenPgp.PrivateKey[]> {
  const text = await readKeyFile(file, "OpenPGP private key file", rootOnly);
  digest.update(`pgp\0${text}\0`);
  const openpgp = await import("openpgp");
  const keys = await openpgp.readPrivateKeys({ armoredKeys: text }).catch((err: Error) => {
    throw identityError(file, `is not an armored OpenPGP private key: ${err.message}`, "Export it with `gpg --export-secret-keys --armor FINGERPRINT`.");
  });
  for (const key of keys) {
    if (!key.isDecrypted()) {
      throw identityError(
        file,
        `key ${key.getFingerprint().toUpperCase()} is protected by a passphrase`,
        "gitdock runs unattended: export the key without a passphrase, into a file only root can read.",
      );
    }
  }
  return keys;
}

/** A regular file (never a symlink), owned by root, with no permission bits for group or others. */
async function readKeyFile(file: string, what: string, rootOnly: boolean): Promise<string> {
  const info = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    throw identityError(
      file,
      `cannot be read: ${err.code ?? err.message}`,
      `Create the ${what} on this host, or remove it from the secrets: section of the agent config.`,
    );
  });
  if (!info.isFile()) throw identityError(file, "is not a regular file", "Make it a plain file (symlinks are not followed).");
  if (rootOnly && (info.uid !== 0 || (info.mode & 0o077) !== 0)) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw identityError(
      file,
      `must be readable by root only (it is mode ${mode}, owner uid ${info.uid})`,
      `Run \`chown root:root ${file} && chmod 0400 ${file}\`.`,
    );
  }
  return readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw identityError(file, `cannot be read: ${err.code ?? err.message}`, `Make the ${what} readable by gitdock (root).`);
  });
}

function identityError(file: string, problem: string, hint: string): IdentityFileError {
  return new IdentityFileError(`secrets identity ${file} ${problem}`, { hint, data: { file } });
}
