import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A fresh OpenPGP key made by the real `gpg` in its own home: its fingerprint, armored public key and private key file (mode 0400). */
export function gpgKey(dir: string): { home: string; fingerprint: string; publicKey: string; privateKeyFile: string } {
  const home = mkdtempSync(join(dir, "gpg-"));
  chmodSync(home, 0o700);
  const gpg = (args: string[], input?: string) =>
    execFileSync("gpg", ["--homedir", home, "--batch", "--yes", ...args], { input, stdio: ["pipe", "pipe", "ignore"] });
  gpg(["--passphrase", "", "--quick-gen-key", "gitdock test <test@gitdock.invalid>", "rsa2048", "default", "never"]);
  gpg(["--passphrase", "", "--quick-add-key", fingerprintOf(gpg), "rsa2048", "encr", "never"]);
  const fingerprint = fingerprintOf(gpg);
  const publicKey = gpg(["--armor", "--export", fingerprint]).toString();
  const privateKeyFile = join(home, "private.asc");
  writeFileSync(privateKeyFile, gpg(["--armor", "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys", fingerprint]), { mode: 0o400 });
  return { home, fingerprint, publicKey, privateKeyFile };
}

function fingerprintOf(gpg: (args: string[]) => Buffer): string {
  const out = gpg(["--with-colons", "--list-keys"]).toString();
  return /^fpr:+([0-9A-F]{40}):/m.exec(out)?.[1] ?? "";
}

/** Stops the gpg-agent that gpg started for `home`, so the test leaves no process behind. */
export function stopGpgAgent(home: string): void {
  execFileSync("gpgconf", ["--homedir", home, "--kill", "all"], { stdio: "ignore" });
}

/** Decrypts an armored message with the real `gpg`. */
export function gpgDecrypt(home: string, armored: string): Buffer {
  return execFileSync("gpg", ["--homedir", home, "--batch", "--decrypt"], { input: armored, stdio: ["pipe", "pipe", "ignore"] });
}

/** Encrypts bytes for `fingerprint` with the real `gpg`, armored. */
export function gpgEncrypt(home: string, fingerprint: string, data: Uint8Array): string {
  return execFileSync("gpg", ["--homedir", home, "--batch", "--trust-model", "always", "--armor", "--encrypt", "-r", fingerprint], {
    input: data,
    stdio: ["pipe", "pipe", "ignore"],
  }).toString();
}
