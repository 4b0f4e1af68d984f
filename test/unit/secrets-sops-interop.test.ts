import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unwrapDataKey } from "../../src/secrets/sops/data-key.js";
import { loadHostIdentities } from "../../src/secrets/host-identities.js";
import { inspectEncryptedFile } from "../../src/secrets/inspect-encrypted-file.js";
import { decryptFile } from "../../src/secrets/decrypt-file.js";
import { readSopsMetadata } from "../../src/secrets/sops/sops-metadata.js";
import { encodeSops, treeOf, wrapForAge, wrapForPgp } from "../support/sops-encoder.js";
import { ageDecrypt, ageEncrypt, ageKeygen } from "./helpers/age-keys.js";
import { gpgDecrypt, gpgEncrypt, gpgKey as makeGpgKey, stopGpgAgent } from "./helpers/gpg-keys.js";

function gpgKey(at: string): ReturnType<typeof makeGpgKey> {
  const key = makeGpgKey(at);
  homes.push(key.home);
  return key;
}

const dir = mkdtempSync(join(tmpdir(), "gdt-sops-interop-"));
const homes: string[] = [];
afterAll(() => {
  for (const home of homes) stopGpgAgent(home);
  rmSync(dir, { recursive: true, force: true });
});

/** The data key's wrapping, checked both ways against the real tools: `age` and `gpg`. */
describe("data keys and age files against the real age and gpg", () => {
  it("the real age CLI opens a data key gitdock's encoder wrapped, and gitdock opens one age wrapped", async () => {
    const key = ageKeygen(dir);
    const dataKey = randomBytes(32);
    const wrapped = await wrapForAge(dataKey, key.recipient);
    expect(Buffer.compare(ageDecrypt(wrapped, key.file), dataKey)).toBe(0);

    const byAge = ageEncrypt(dataKey, key.recipient, true).toString();
    const metadata = readSopsMetadata({ age: [{ recipient: key.recipient, enc: byAge }], lastmodified: "2026-01-01T00:00:00Z", mac: "x" }).metadata;
    const ids = await loadHostIdentities({ ageIdentityFile: key.file, openpgpPrivateKeyFile: undefined });
    expect(Buffer.compare(Buffer.from(await unwrapDataKey(metadata, ids)), dataKey)).toBe(0);
  });

  it("gpg opens a data key wrapped for its key, and gitdock opens one gpg wrapped, with the key gpg exported", async () => {
    const key = gpgKey(dir);
    const dataKey = randomBytes(32);
    const wrapped = await wrapForPgp(dataKey, key.publicKey);
    expect(wrapped.fp).toBe(key.fingerprint);
    expect(Buffer.compare(gpgDecrypt(key.home, wrapped.enc), dataKey)).toBe(0);

    const byGpg = gpgEncrypt(key.home, key.fingerprint, dataKey);
    const metadata = readSopsMetadata({
      pgp: [{ fp: key.fingerprint, enc: byGpg, created_at: "2026-01-01T00:00:00Z" }],
      lastmodified: "2026-01-01T00:00:00Z",
      mac: "x",
    }).metadata;
    const ids = await loadHostIdentities({ ageIdentityFile: undefined, openpgpPrivateKeyFile: key.privateKeyFile });
    expect(Buffer.compare(Buffer.from(await unwrapDataKey(metadata, ids)), dataKey)).toBe(0);
  });

  it("a SOPS document for an OpenPGP key decrypts with the exported private key", async () => {
    const key = gpgKey(dir);
    const doc = await encodeSops([treeOf({ TOKEN: "pgp-wrapped" })], { format: "dotenv", pgp: [key.publicKey] });
    expect(doc).toContain(`sops_pgp__list_0__map_fp=${key.fingerprint}`);
    const ids = await loadHostIdentities({ ageIdentityFile: undefined, openpgpPrivateKeyFile: key.privateKeyFile });
    const file = inspectEncryptedFile(Buffer.from(doc));
    if (!file) throw new Error("not recognized");
    expect(file.recipients).toEqual([`pgp ${key.fingerprint}`]);
    const d = await decryptFile(file, ids);
    expect(d.ok && d.file.variables?.get("TOKEN")?.text()).toBe("pgp-wrapped");
  });

  it("age files made by the real age, binary and armored, decrypt; another key's do not", async () => {
    const key = ageKeygen(dir);
    const stranger = ageKeygen(dir);
    const ids = await loadHostIdentities({ ageIdentityFile: key.file, openpgpPrivateKeyFile: undefined });
    for (const armored of [false, true]) {
      const file = inspectEncryptedFile(ageEncrypt("-----BEGIN PRIVATE KEY-----\nMIIE\n", key.recipient, armored));
      expect(file).toMatchObject({ kind: "age", problems: [], recipients: ["age X25519 recipient (age files do not name their recipients)"] });
      const d = await decryptFile(file!, ids);
      expect(d.ok && d.file.content.text()).toBe("-----BEGIN PRIVATE KEY-----\nMIIE\n");
    }
    const foreign = inspectEncryptedFile(ageEncrypt("x", stranger.recipient));
    expect(await decryptFile(foreign!, ids)).toMatchObject({ ok: false, reason: "no-key" });
    expect(inspectEncryptedFile(ageEncrypt("x", key.recipient).subarray(0, 40))?.problems).toContainEqual(expect.stringMatching(/cut short/));
  });
});
