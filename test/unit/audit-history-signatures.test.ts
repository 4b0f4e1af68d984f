/** `history`'s signature column: presence without trust anchors, the host's verifier with them. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import git from "isomorphic-git";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signatureChecker, signaturePresence } from "../../src/audit/history/index.js";

let dir: string;
const commits: Record<string, string> = {};
const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Ann",
  GIT_AUTHOR_EMAIL: "ann@example.com",
  GIT_COMMITTER_NAME: "Ann",
  GIT_COMMITTER_EMAIL: "ann@example.com",
};
const run = (...args: string[]) => execFileSync("git", args, { cwd: dir, env, encoding: "utf8" });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gdt-audit-sig-"));
  for (const k of ["ann", "eve"]) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", k, "-f", path.join(dir, k)]);
  writeFileSync(path.join(dir, "allowed_signers"), `ann@example.com namespaces="git" ${readFileSync(path.join(dir, "ann.pub"), "utf8")}`);
  run("init", "-q", "-b", "main", "repo");
  dir = path.join(dir, "repo");
  run("commit", "-q", "--allow-empty", "-m", "unsigned");
  commits.unsigned = run("rev-parse", "HEAD").trim();
  run("-c", "gpg.format=ssh", "-c", `user.signingkey=${path.join(dir, "..", "ann")}`, "commit", "-q", "--allow-empty", "-S", "-m", "by ann");
  commits.ann = run("rev-parse", "HEAD").trim();
  run("-c", "gpg.format=ssh", "-c", `user.signingkey=${path.join(dir, "..", "eve")}`, "commit", "-q", "--allow-empty", "-S", "-m", "by eve");
  commits.eve = run("rev-parse", "HEAD").trim();
});
afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

const read = async (oid: string) => (await git.readCommit({ fs, gitdir: path.join(dir, ".git"), oid })).commit;

describe("signature status in history", () => {
  it("without trust anchors: signed (and which kind) or unsigned, never 'valid'", async () => {
    expect(signaturePresence(await read(commits.unsigned!))).toEqual({ status: "unsigned" });
    expect(signaturePresence(await read(commits.ann!))).toEqual({ status: "signed", format: "ssh" });
    expect(
      await signatureChecker({ mode: "off", allowedSigners: undefined, openpgpKeyring: undefined, allowRewind: false }, path.join(dir, ".git")),
    ).toBeUndefined();
  });

  it("with allowed_signers: the host's verifier names the signer, or says why not", async () => {
    const check = (await signatureChecker(
      { mode: "warn", allowedSigners: path.join(dir, "..", "allowed_signers"), openpgpKeyring: undefined, allowRewind: false },
      path.join(dir, ".git"),
    ))!;
    expect(await check(commits.ann!, await read(commits.ann!))).toEqual({
      status: "valid",
      format: "ssh",
      detail: expect.stringMatching(/^ann@example\.com \(SHA256:/),
    });
    expect(await check(commits.eve!, await read(commits.eve!))).toMatchObject({ status: "untrusted", format: "ssh" });
    expect(await check(commits.unsigned!, await read(commits.unsigned!))).toEqual({ status: "unsigned" });
  });
});
