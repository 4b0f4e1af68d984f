/**
 * Real signing material for signature tests: SSH keys made with `ssh-keygen`, an OpenPGP key made
 * with `gpg --batch` in a private GNUPGHOME, and a Git repository whose commits real `git` signs.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type SshKeyKind = "ed25519" | "ecdsa" | "rsa";

export interface SigningKit {
  dir: string;
  /** Private key path per kind; the public key is `<path>.pub`. */
  sshKey(kind: SshKeyKind): string;
  /** `<principal> <keytype> <base64>` for an allowed_signers file. */
  allowedLine(kind: SshKeyKind, principal: string, options?: string): Promise<string>;
  gnupgHome: string;
  pgpFingerprint: string;
  /** The armored public key of the OpenPGP key. */
  pgpPublicKey: string;
  /** A second, untrusted OpenPGP key. */
  otherPgpFingerprint: string;
  otherPgpPublicKey: string;
  /** Extra ssh key that is never listed anywhere. */
  strangerKey: string;
  dispose(): Promise<void>;
}

export async function createSigningKit(kinds: SshKeyKind[] = ["ed25519", "ecdsa", "rsa"]): Promise<SigningKit> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gdt-sec-keys-"));
  for (const kind of kinds) await run("ssh-keygen", ["-q", "-t", kind, "-N", "", "-C", `${kind}@test`, "-f", path.join(dir, `id_${kind}`)]);
  const strangerKey = path.join(dir, "id_stranger");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", strangerKey]);
  const gnupgHome = path.join(dir, "gnupg");
  await run("mkdir", ["-m", "700", gnupgHome]);
  const env = { ...process.env, GNUPGHOME: gnupgHome };
  const gpg = (args: string[]) => run("gpg", ["--batch", "--quiet", ...args], { env });
  await gpg(["--passphrase", "", "--quick-gen-key", "Release Signer <release@test>", "default", "default", "never"]);
  await gpg(["--passphrase", "", "--quick-gen-key", "Someone Else <else@test>", "default", "default", "never"]);
  const { stdout } = await gpg(["--list-keys", "--with-colons"]);
  const fprs = [...stdout.matchAll(/^pub:(?:[^\n]*)\nfpr:::::::::([0-9A-F]+):/gm)].map((m) => m[1] as string);
  const [pgpFingerprint, otherPgpFingerprint] = fprs as [string, string];
  const exportKey = async (fpr: string) => (await gpg(["--armor", "--export", fpr])).stdout;
  return {
    dir,
    sshKey: (kind) => path.join(dir, `id_${kind}`),
    async allowedLine(kind, principal, options) {
      const pub = (await readFile(path.join(dir, `id_${kind}.pub`), "utf8")).trim().split(" ");
      return [principal, options, pub[0], pub[1]].filter(Boolean).join(" ");
    },
    gnupgHome,
    pgpFingerprint,
    pgpPublicKey: await exportKey(pgpFingerprint),
    otherPgpFingerprint,
    otherPgpPublicKey: await exportKey(otherPgpFingerprint),
    strangerKey,
    async dispose() {
      // gpg started an agent for this GNUPGHOME; stop it rather than wait for it to notice.
      await run("gpgconf", ["--kill", "gpg-agent"], { env }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ScratchRepo {
  gitdir: string;
  /** Commits a change, signed as `sign` says; returns the SHA. */
  commit(message: string, sign?: { ssh: string } | { pgp: string }): Promise<string>;
  /** The raw commit object. */
  raw(sha: string): Promise<Buffer>;
}

export async function createScratchRepo(kit: SigningKit): Promise<ScratchRepo> {
  const work = await mkdtemp(path.join(kit.dir, "repo-"));
  const env = { ...process.env, GNUPGHOME: kit.gnupgHome, GIT_CONFIG_NOSYSTEM: "1", HOME: kit.dir };
  const git = async (args: string[]) => (await run("git", args, { cwd: work, env, encoding: "buffer", maxBuffer: 1 << 24 })).stdout as Buffer;
  await git(["init", "-q", "--initial-branch=main"]);
  await git(["config", "user.name", "Tester"]);
  await git(["config", "user.email", "tester@test"]);
  let n = 0;
  return {
    gitdir: path.join(work, ".git"),
    async commit(message, sign) {
      await writeFile(path.join(work, `f${n++}.txt`), message);
      await git(["add", "-A"]);
      const cfg = !sign
        ? ["-c", "commit.gpgsign=false"]
        : "ssh" in sign
          ? ["-c", "gpg.format=ssh", "-c", `user.signingkey=${sign.ssh}`]
          : ["-c", "gpg.format=openpgp", "-c", `user.signingkey=${sign.pgp}`];
      await git([...cfg, "commit", "-q", "-m", message, ...(sign ? ["-S"] : [])]);
      return (await git(["rev-parse", "HEAD"])).toString().trim();
    },
    raw: (sha) => git(["cat-file", "commit", sha]),
  };
}

export async function sshSign(key: string, namespace: string, data: Buffer, dir: string): Promise<string> {
  const file = path.join(dir, `msg-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, data);
  await run("ssh-keygen", ["-q", "-Y", "sign", "-n", namespace, "-f", key, file]);
  return readFile(`${file}.sig`, "utf8");
}
