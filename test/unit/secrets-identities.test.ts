import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IdentityFileError } from "../../src/errors.js";
import { describeIdentities, loadHostIdentities, loadIdentityFile } from "../../src/secrets/host-identities.js";
import { ageKeygen } from "./helpers/age-keys.js";

const dir = mkdtempSync(join(tmpdir(), "gdt-sops-ids-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(file: string): Promise<IdentityFileError> {
  const err = await loadHostIdentities({ ageIdentityFile: file, openpgpPrivateKeyFile: undefined }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IdentityFileError);
  return err as IdentityFileError;
}

describe("the host's identity files", () => {
  it("reads an age identity file owned by root with mode 0400, and names its recipient", async () => {
    const key = ageKeygen(dir);
    const ids = await loadHostIdentities({ ageIdentityFile: key.file, openpgpPrivateKeyFile: undefined });
    expect(describeIdentities(ids)).toEqual([`age ${key.recipient}`]);
  });

  it("refuses a key file others can read, or not owned by root, saying what to run", async () => {
    const key = ageKeygen(dir);
    chmodSync(key.file, 0o644);
    const err = await refusal(key.file);
    expect(err.message).toBe(`secrets identity ${key.file} must be readable by root only (it is mode 0644, owner uid 0)`);
    expect(err.hint).toBe(`Run \`chown root:root ${key.file} && chmod 0400 ${key.file}\`.`);
    chmodSync(key.file, 0o400);
    chownSync(key.file, 1000, 0);
    expect((await refusal(key.file)).message).toMatch(/owner uid 1000/);
  });

  it("refuses a symlink, a missing file and a file that holds no identity", async () => {
    const key = ageKeygen(dir);
    const link = join(dir, "link.txt");
    symlinkSync(key.file, link);
    expect((await refusal(link)).message).toMatch(/is not a regular file/);
    expect((await refusal(join(dir, "missing.txt"))).message).toMatch(/cannot be read: ENOENT/);
    const junk = join(dir, "junk.txt");
    writeFileSync(junk, "# only a comment\nnot-a-key\n", { mode: 0o400 });
    expect((await refusal(junk)).message).toMatch(/line 1 is not an age identity/);
  });

  it("validate's --identity takes a key file of any owner (a CI secret), age or OpenPGP by content", async () => {
    const key = ageKeygen(dir);
    chmodSync(key.file, 0o644);
    expect(describeIdentities(await loadIdentityFile(key.file))).toEqual([`age ${key.recipient}`]);
  });
});
