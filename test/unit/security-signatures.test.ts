import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSigners, matchesPatternList, parseAllowedSigners, parseTimestamp } from "../../src/source/allowed-signers.js";
import { splitCommitSignature } from "../../src/source/commit-signature.js";
import { readOpenPgpKeyring } from "../../src/source/openpgp-verify.js";
import { parseSshSignature, verifySshSignature } from "../../src/source/sshsig.js";
import { verifyCommitObject, verifyCommitSignature, type TrustAnchors } from "../../src/source/verify-signature.js";
import { createScratchRepo, createSigningKit, sshSign, type ScratchRepo, type SigningKit } from "./helpers/signing-keys.js";

let kit: SigningKit;
let repo: ScratchRepo;
let anchors: TrustAnchors;
const signed: Record<string, string> = {};

beforeAll(async () => {
  kit = await createSigningKit();
  repo = await createScratchRepo(kit);
  const lines = await Promise.all([
    kit.allowedLine("ed25519", "ed@test"),
    kit.allowedLine("ecdsa", "ec@test,ops@test", 'namespaces="git"'),
    kit.allowedLine("rsa", '"rsa@test"', 'namespaces="file,git"'),
  ]);
  anchors = { allowedSigners: parseAllowedSigners(`# trusted\n\n${lines.join("\n")}\n`), keyring: await readOpenPgpKeyring(kit.pgpPublicKey) };
  for (const kind of ["ed25519", "ecdsa", "rsa"] as const) signed[kind] = await repo.commit(`by ${kind}`, { ssh: kit.sshKey(kind) });
  signed.pgp = await repo.commit("by pgp", { pgp: kit.pgpFingerprint });
  signed.otherPgp = await repo.commit("by another pgp key", { pgp: kit.otherPgpFingerprint });
  signed.stranger = await repo.commit("by a stranger", { ssh: kit.strangerKey });
  signed.unsigned = await repo.commit("unsigned");
}, 120_000);

afterAll(async () => kit?.dispose());

describe("commit signatures made by real git", () => {
  it.each([
    ["ed25519", "ssh", "ed@test"],
    ["ecdsa", "ssh", "ec@test,ops@test"],
    ["rsa", "ssh", "rsa@test"],
  ] as const)("accepts a trusted %s SSH signature and names the signer", async (kind, format, principal) => {
    const v = await verifyCommitSignature(repo.gitdir, signed[kind] as string, anchors);
    expect(v).toEqual({ status: "valid", signer: { format, principal, fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/) } });
  });

  it("accepts a trusted OpenPGP signature with the primary key's fingerprint and user ID", async () => {
    const v = await verifyCommitSignature(repo.gitdir, signed.pgp as string, anchors);
    expect(v).toEqual({ status: "valid", signer: { format: "openpgp", fingerprint: kit.pgpFingerprint, principal: "Release Signer <release@test>" } });
  });

  it.each([
    ["an unsigned commit", "unsigned", "missing", /not signed/],
    ["an SSH key not in allowed_signers", "stranger", "untrusted", /SSH key SHA256:.* which allowed_signers does not list/],
    ["an OpenPGP key not in the keyring", "otherPgp", "untrusted", /not in the keyring/],
  ])("refuses %s", async (_what, which, status, reason) => {
    const v = await verifyCommitSignature(repo.gitdir, signed[which] as string, anchors);
    expect(v.status).toBe(status);
    expect(v.status !== "valid" && v.reason).toMatch(reason);
  });

  it.each(["ed25519", "ecdsa", "rsa", "pgp"])("calls a %s-signed commit whose content changed after signing tampered", async (which) => {
    const raw = await repo.raw(signed[which] as string);
    const changed = Buffer.from(raw.toString("utf8").replace(/\n\nby /, "\n\nBY "));
    expect(changed.equals(raw)).toBe(false);
    expect((await verifyCommitObject(changed, anchors)).status).toBe("tampered");
    const otherTree = Buffer.from(raw.toString("utf8").replace(/^tree [0-9a-f]{40}/, `tree ${"0".repeat(40)}`));
    expect((await verifyCommitObject(otherTree, anchors)).status).toBe("tampered");
  });

  it("calls a signature of a kind the host has no keys for wrong-format", async () => {
    const sshOnly = { allowedSigners: anchors.allowedSigners, keyring: undefined };
    const pgpOnly = { allowedSigners: undefined, keyring: anchors.keyring };
    expect(await verifyCommitSignature(repo.gitdir, signed.pgp as string, sshOnly)).toMatchObject({
      status: "wrong-format",
      reason: expect.stringMatching(/no security.verify.openpgp_keyring/),
    });
    expect(await verifyCommitSignature(repo.gitdir, signed.ed25519 as string, pgpOnly)).toMatchObject({
      status: "wrong-format",
      reason: expect.stringMatching(/no security.verify.allowed_signers/),
    });
    const x509 = rewriteSignature(await repo.raw(signed.ed25519 as string), "-----BEGIN SIGNED MESSAGE-----\nMIIB\n-----END SIGNED MESSAGE-----\n");
    expect((await verifyCommitObject(x509, anchors)).status).toBe("wrong-format");
  });

  it("calls an SSH signature made for another namespace wrong-format", async () => {
    const { payload } = splitCommitSignature(await repo.raw(signed.ed25519 as string));
    const fileSig = await sshSign(kit.sshKey("ed25519"), "file", payload, kit.dir);
    const raw = rewriteSignature(await repo.raw(signed.ed25519 as string), fileSig);
    expect(await verifyCommitObject(raw, anchors)).toMatchObject({ status: "wrong-format", reason: expect.stringMatching(/namespace "file"/) });
  });

  it.each([
    ["garbage in the armor", "-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n"],
    ["a truncated blob", "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n"],
    ["no end line", "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n"],
    ["a broken OpenPGP armor", "-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all\n-----END PGP SIGNATURE-----\n"],
    ["something else entirely", "hello\n"],
  ])("calls a signature with %s malformed", async (_what, sig) => {
    const raw = rewriteSignature(await repo.raw(signed.ed25519 as string), sig);
    expect((await verifyCommitObject(raw, anchors)).status).toBe("malformed");
  });
});

describe("commit payload", () => {
  it("is the commit without its gpgsig header, byte for byte, and keeps the message", async () => {
    const raw = await repo.raw(signed.pgp as string);
    const { signature, payload, committedAt } = splitCommitSignature(raw);
    expect(signature).toMatch(/^-----BEGIN PGP SIGNATURE-----\n\n/);
    expect(signature).toMatch(/-----END PGP SIGNATURE-----\n$/);
    expect(payload.toString()).not.toContain("gpgsig");
    expect(payload.toString()).toMatch(/\ncommitter [^\n]+\n\nby pgp\n$/);
    expect(committedAt?.getTime()).toBeGreaterThan(0);
  });

  it("leaves an unsigned commit as it is", async () => {
    const raw = await repo.raw(signed.unsigned as string);
    const split = splitCommitSignature(raw);
    expect(split.signature).toBeUndefined();
    expect(split.payload.equals(raw)).toBe(true);
  });

  it("does not take a gpgsig line in the message for a header", () => {
    const raw = Buffer.from("tree abc\nauthor a <a> 1 +0000\ncommitter a <a> 1 +0000\n\nmsg\ngpgsig fake\n");
    expect(splitCommitSignature(raw)).toMatchObject({ signature: undefined, payload: raw });
  });
});

describe("SSHSIG", () => {
  it("parses what ssh-keygen -Y sign writes and verifies it for the message only", async () => {
    const msg = Buffer.from("hello\n");
    for (const kind of ["ed25519", "ecdsa", "rsa"] as const) {
      const sig = parseSshSignature(await sshSign(kit.sshKey(kind), "git", msg, kit.dir));
      expect(sig.namespace).toBe("git");
      expect(sig.hashAlgorithm).toBe("sha512");
      expect(verifySshSignature(sig, msg)).toBe(true);
      expect(verifySshSignature(sig, Buffer.from("hello!\n"))).toBe(false);
      expect(verifySshSignature({ ...sig, namespace: "file" }, msg)).toBe(false);
    }
  });

  it("refuses a signature whose algorithm does not fit its key", async () => {
    const sig = parseSshSignature(await sshSign(kit.sshKey("rsa"), "git", Buffer.from("x"), kit.dir));
    expect(sig.signatureType).toBe("rsa-sha2-512");
    expect(verifySshSignature({ ...sig, signatureType: "ssh-rsa" }, Buffer.from("x"))).toBe(false);
    expect(verifySshSignature({ ...sig, signatureType: "ssh-ed25519" }, Buffer.from("x"))).toBe(false);
  });
});

describe("allowed_signers", () => {
  it("reads principals, options, quotes and comments; reports bad lines without dropping good ones", async () => {
    const good = await kit.allowedLine("ed25519", "a@test,b@test", 'namespaces="git",valid-after="20200101"');
    const file = parseAllowedSigners(
      [
        "# comment",
        good + " trailing comment",
        "broken-line",
        await kit.allowedLine("ed25519", "ca@test", "cert-authority"),
        await kit.allowedLine("ed25519", "x@test", "bogus-option"),
        "x@test ssh-ed25519 not-base64!",
        (await kit.allowedLine("rsa", "y@test")).replace("ssh-rsa", "ssh-ed25519"),
        await kit.allowedLine("ed25519", "z@test", 'valid-before="20241301"'),
      ].join("\n"),
    );
    expect(file.signers).toHaveLength(1);
    expect(file.signers[0]).toMatchObject({ principals: ["a@test", "b@test"], namespaces: ["git"], line: 2 });
    expect(file.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(file.problems.map((p) => p.message).join("\n")).toMatch(/cert-authority lines are not supported/);
    expect(file.problems.map((p) => p.message).join("\n")).toMatch(/does not match the key/);
  });

  it("matches a key for namespace git inside its validity window only", async () => {
    const line = await kit.allowedLine("ed25519", "a@test", 'valid-after="20200101Z",valid-before="20300101Z"');
    const file = parseAllowedSigners(`${line}\n${await kit.allowedLine("ecdsa", "e@test", 'namespaces="file"')}`);
    const [ed, ec] = file.signers;
    expect(findSigners(file, ed!.key, "git", new Date("2025-06-01T00:00:00Z"))).toHaveLength(1);
    expect(findSigners(file, ed!.key, "git", new Date("2019-06-01T00:00:00Z"))).toHaveLength(0);
    expect(findSigners(file, ed!.key, "git", new Date("2031-06-01T00:00:00Z"))).toHaveLength(0);
    expect(findSigners(file, ec!.key, "git", new Date())).toHaveLength(0);
    expect(findSigners(file, ec!.key, "file", new Date())).toHaveLength(1);
  });

  it.each([
    ["20240229", true],
    ["20230229", false],
    ["202401011230", true],
    ["20240101123059Z", true],
    ["20240101246000", false],
    ["2024-01-01", false],
  ])("timestamp %s is valid: %s", (text, ok) => {
    expect(parseTimestamp(text) !== undefined).toBe(ok);
  });

  it("follows ssh's pattern lists: wildcards and negation", () => {
    expect(matchesPatternList("git", ["git"])).toBe(true);
    expect(matchesPatternList("git", ["g*"])).toBe(true);
    expect(matchesPatternList("git", ["file", "?it"])).toBe(true);
    expect(matchesPatternList("git", ["*", "!git"])).toBe(false);
    expect(matchesPatternList("git", ["file"])).toBe(false);
  });
});

/** Replace the gpgsig header of a raw commit with `sig` (continuation lines indented by one space). */
function rewriteSignature(raw: Buffer, sig: string): Buffer {
  const { payload } = splitCommitSignature(raw);
  const text = payload.toString("utf8");
  const header = `gpgsig ${sig.replace(/\n$/, "").split("\n").join("\n ")}\n`;
  const at = text.indexOf("\n\n") + 1;
  return Buffer.from(text.slice(0, at) + header + text.slice(at));
}
