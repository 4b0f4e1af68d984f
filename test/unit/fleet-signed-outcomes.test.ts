import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatOpenSshPrivateKey, generateEd25519, parseOpenSshPrivateKey, publicKeyLine } from "../../src/fleet/openssh-private-key.js";
import { loadOutcomeKey } from "../../src/fleet/outcome-key.js";
import { checkOutcomeSignature, OUTCOME_NAMESPACE, outcomeMessage, signOutcomeLine, splitSignedLine } from "../../src/fleet/outcome-signature.js";
import { parseSshPublicKey } from "../../src/source/ssh-public-key.js";

const dir = mkdtempSync(path.join(tmpdir(), "gdt-fleet-sign-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMIT = "a".repeat(40);
const LINE = "web-1 applied 2026-11-27T10:00:00Z healthy";
const keyOf = (pair: ReturnType<typeof generateEd25519>) => parseSshPublicKey(pair.publicBlob);

describe("OpenSSH private keys", () => {
  it("writes a key ssh-keygen reads, with the same public key", () => {
    const pair = generateEd25519("gitdock@web-1");
    const file = path.join(dir, "made");
    writeFileSync(file, formatOpenSshPrivateKey(pair), { mode: 0o600 });
    expect(execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim()).toBe(publicKeyLine(pair));
  });

  it("reads a key ssh-keygen made", () => {
    const file = path.join(dir, "keygen");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ops@web-2", "-f", file]);
    const pair = parseOpenSshPrivateKey(readFileSync(file, "utf8"));
    expect(publicKeyLine(pair)).toBe(readFileSync(`${file}.pub`, "utf8").trim());
  });

  it("refuses an encrypted key and an RSA key with the reason", () => {
    const enc = path.join(dir, "enc");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret-pass", "-f", enc]);
    expect(() => parseOpenSshPrivateKey(readFileSync(enc, "utf8"))).toThrow(/encrypted with a passphrase/);
    const rsa = path.join(dir, "rsa");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa]);
    expect(() => parseOpenSshPrivateKey(readFileSync(rsa, "utf8"))).toThrow(/only ssh-ed25519/);
  });

  it("creates the host's key once, root only, and loads the same key after", async () => {
    const stateDir = path.join(dir, "state");
    const first = await loadOutcomeKey({ stateDir, hostId: "web-3" });
    const again = await loadOutcomeKey({ stateDir, hostId: "web-3" });
    expect(again.publicBlob.equals(first.publicBlob)).toBe(true);
    expect(statSync(path.join(stateDir, "outcome.key")).mode & 0o777).toBe(0o600);
    expect(first.comment).toBe("gitdock@web-3");
  });
});

describe("signed outcome lines", () => {
  const pair = generateEd25519("gitdock@web-1");

  it("round-trips: the signed line splits back into the line and a valid signature", () => {
    const signed = signOutcomeLine(pair, COMMIT, LINE);
    const { line, signature } = splitSignedLine(signed);
    expect(line).toBe(LINE);
    expect(checkOutcomeSignature(COMMIT, line, signature, keyOf(pair))).toBe("valid");
  });

  it("is an SSHSIG that ssh-keygen -Y verify accepts for the same message", () => {
    const { signature } = splitSignedLine(signOutcomeLine(pair, COMMIT, LINE));
    const sigFile = path.join(dir, "line.sig");
    writeFileSync(sigFile, `-----BEGIN SSH SIGNATURE-----\n${signature}\n-----END SSH SIGNATURE-----\n`);
    const signers = path.join(dir, "allowed");
    writeFileSync(signers, `web-1 ${publicKeyLine(pair)}\n`);
    const out = execFileSync("ssh-keygen", ["-Y", "verify", "-f", signers, "-I", "web-1", "-n", OUTCOME_NAMESPACE, "-s", sigFile], {
      input: outcomeMessage(COMMIT, LINE),
      encoding: "utf8",
    });
    expect(out).toMatch(/Good "gitdock-outcome" signature for web-1/);
  });

  it("does not verify on another commit, for an altered line, or against another host's key", () => {
    const { line, signature } = splitSignedLine(signOutcomeLine(pair, COMMIT, LINE));
    expect(checkOutcomeSignature("b".repeat(40), line, signature, keyOf(pair))).toBe("bad-signature");
    expect(checkOutcomeSignature(COMMIT, line.replace("healthy", "healthy!"), signature, keyOf(pair))).toBe("bad-signature");
    expect(checkOutcomeSignature(COMMIT, line, signature, keyOf(generateEd25519("other")))).toBe("other-key");
    expect(checkOutcomeSignature(COMMIT, LINE, undefined, keyOf(pair))).toBe("unsigned");
    expect(checkOutcomeSignature(COMMIT, LINE, "AAAA", keyOf(pair))).toBe("bad-signature");
  });

  it("leaves a line without a signature as it is", () => {
    expect(splitSignedLine("web-2 rolled-back 2026-11-27T10:00:00Z health: web timed out")).toEqual({
      line: "web-2 rolled-back 2026-11-27T10:00:00Z health: web timed out",
      signature: undefined,
    });
  });
});
