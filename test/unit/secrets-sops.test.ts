import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/secrets/decrypt-file.js";
import { loadHostIdentities, type HostIdentities } from "../../src/secrets/host-identities.js";
import { inspectEncryptedFile } from "../../src/secrets/inspect-encrypted-file.js";
import type { SopsMap } from "../../src/secrets/sops/sops-tree.js";
import { encodeSops, treeOf } from "../support/sops-encoder.js";
import { ageKeygen } from "./helpers/age-keys.js";

let host: { file: string; recipient: string };
let other: { file: string; recipient: string };
let ids: HostIdentities;

let dir: string;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gdt-sops-unit-"));
  host = ageKeygen(dir);
  other = ageKeygen(dir);
  ids = await loadHostIdentities({ ageIdentityFile: host.file, openpgpPrivateKeyFile: undefined });
});

async function open(text: string) {
  const file = inspectEncryptedFile(Buffer.from(text));
  if (!file) throw new Error("not recognized as encrypted");
  return decryptFile(file, ids);
}

function text(d: Awaited<ReturnType<typeof open>>): string {
  if (!d.ok) throw new Error(d.message);
  return d.file.content.text();
}

const values = { DB_PASSWORD: "s3cret-päss", PORT: 5432, RATIO: 0.25, DEBUG: false, EMPTY: "" };

describe("SOPS documents: each form decrypts to what was encrypted", () => {
  it("dotenv: the variables and the file", async () => {
    const doc = await encodeSops([treeOf({ ...values, MULTI: "a\nb" })], { format: "dotenv", age: [host.recipient] });
    expect(doc).toMatch(/^DB_PASSWORD=ENC\[AES256_GCM,data:/m);
    expect(doc).not.toContain("s3cret");
    const d = await open(doc);
    if (!d.ok) throw new Error(d.message);
    expect(d.file.variables?.get("DB_PASSWORD")?.text()).toBe("s3cret-päss");
    expect(d.file.variables?.get("PORT")?.text()).toBe("5432");
    expect(d.file.variables?.get("MULTI")?.text()).toBe("a\nb");
    expect(d.file.content.text()).toBe("DB_PASSWORD=s3cret-päss\nPORT=5432\nRATIO=0.25\nDEBUG=false\nEMPTY=\nMULTI=a\\nb\n");
  });

  it("YAML: nested mappings and lists, typed values, every document of the file", async () => {
    const tree = treeOf({ db: { user: "app", password: "hunter2", port: 5432 }, hosts: ["a", "b"], on: true, nothing: null });
    const doc = await encodeSops([tree, treeOf({ second: "doc" })], { format: "yaml", age: [host.recipient] });
    expect(doc).not.toContain("hunter2");
    const out = text(await open(doc));
    expect(out).toContain("password: hunter2");
    expect(out).toContain("port: 5432");
    expect(out).toContain("- b");
    expect(out).toContain("second: doc");
  });

  it("JSON, and the binary form (a whole file, bytes as they are)", async () => {
    expect(JSON.parse(text(await open(await encodeSops([treeOf({ a: { b: "c" }, n: 1.5 })], { format: "json", age: [host.recipient] }))))).toEqual({
      a: { b: "c" },
      n: 1.5,
    });
    const bytes = Buffer.concat([Buffer.from("-----BEGIN PRIVATE KEY-----\n"), randomBytes(64), Buffer.from([0xff, 0xfe, 0x00])]);
    const d = await open(await encodeSops([treeOf({ data: bytes })], { format: "binary", age: [host.recipient] }));
    if (!d.ok) throw new Error(d.message);
    expect(Buffer.compare(Buffer.from(d.file.content.bytes()), bytes)).toBe(0);
  });

  it("is recognized by its content, not its name, and a plain file is not SOPS", async () => {
    expect(inspectEncryptedFile(Buffer.from("DB_PASSWORD=plain\n"))).toBeUndefined();
    expect(inspectEncryptedFile(Buffer.from("sops: is just a key\nmac: here\n"))).toBeUndefined();
    const doc = await encodeSops([treeOf({ a: "b" })], { format: "yaml", age: [host.recipient, other.recipient] });
    const file = inspectEncryptedFile(Buffer.from(doc));
    expect(file).toMatchObject({ kind: "sops", format: "yaml", problems: [] });
    expect(file?.recipients).toEqual([`age ${host.recipient}`, `age ${other.recipient}`]);
  });
});

describe("SOPS MAC: a file that was changed, or has no MAC, is refused", () => {
  const base = () => encodeSops([treeOf({ user: "app", password: "hunter2", note_unencrypted: "visible" })], { format: "yaml", age: [host.recipient] });

  it("accepts the untouched file", async () => {
    expect((await open(await base())).ok).toBe(true);
  });

  it("a tampered plain value (unencrypted suffix) fails the MAC", async () => {
    const doc = (await base()).replace("note_unencrypted: visible", "note_unencrypted: changed");
    expect(await open(doc)).toMatchObject({ ok: false, reason: "invalid", message: expect.stringMatching(/MAC mismatch/) });
  });

  it("an encrypted value moved to another key does not decrypt (its path is the additional data)", async () => {
    const doc = await base();
    const user = /user: (ENC\[[^\]]+\])/.exec(doc)?.[1] ?? "";
    const password = /password: (ENC\[[^\]]+\])/.exec(doc)?.[1] ?? "";
    const swapped = doc.replace(`user: ${user}`, `user: ${password}`);
    expect(await open(swapped)).toMatchObject({ ok: false, message: expect.stringMatching(/value at user cannot be decrypted/) });
  });

  it("values in another order fail the MAC", async () => {
    const doc = await encodeSops([treeOf({ a_unencrypted: "1", b_unencrypted: "2", c: "x" })], { format: "yaml", age: [host.recipient] });
    const reordered = doc.replace('a_unencrypted: "1"\nb_unencrypted: "2"', 'b_unencrypted: "2"\na_unencrypted: "1"');
    expect(reordered).not.toBe(doc);
    expect(await open(reordered)).toMatchObject({ ok: false, message: expect.stringMatching(/MAC mismatch/) });
  });

  it("tampered metadata: a changed lastmodified or a removed MAC", async () => {
    const doc = await base();
    const changed = doc.replace(/lastmodified: (\S+)/, "lastmodified: 2001-01-01T00:00:00Z");
    expect(await open(changed)).toMatchObject({ ok: false, message: expect.stringMatching(/stored MAC does not decrypt/) });
    const noMac = doc.replace(/\n {2}mac: .*\n/, "\n");
    const file = inspectEncryptedFile(Buffer.from(noMac));
    expect(file?.problems).toContainEqual(expect.stringMatching(/has no MAC/));
    expect(await open(noMac)).toMatchObject({ ok: false, reason: "invalid", message: expect.stringMatching(/no MAC/) });
  });

  it("a plain value written where an encrypted one belongs is refused", async () => {
    const doc = (await base()).replace(/password: ENC\[[^\]]+\]/, "password: hunter3");
    expect(await open(doc)).toMatchObject({ ok: false, message: expect.stringMatching(/password should be encrypted but is plain text/) });
  });

  it("mac_only_encrypted: plain values may change, encrypted ones may not", async () => {
    const tree = treeOf({ host_unencrypted: "db", password: "hunter2" });
    const doc = await encodeSops([tree], { format: "yaml", age: [host.recipient], macOnlyEncrypted: true });
    expect(doc).toContain("mac_only_encrypted: true");
    expect((await open(doc.replace("host_unencrypted: db", "host_unencrypted: other"))).ok).toBe(true);
    // Without the flag the same change fails: the flag is part of what the MAC covers.
    expect(await open(doc.replace("mac_only_encrypted: true", "mac_only_encrypted: false"))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/MAC mismatch/),
    });
  });

  it("selection rules: encrypted_regex and encrypted_suffix leave the rest in the clear, MAC-checked", async () => {
    const tree = treeOf({ name: "web", data: { password: "pass-one-secret" }, stringData: { token: "token-one-secret" } });
    const doc = await encodeSops([tree], { format: "yaml", age: [host.recipient], rule: { kind: "encrypted_regex", value: "^(data|stringData)$" } });
    expect(doc).toContain("name: web");
    expect(doc).not.toContain("pass-one-secret");
    expect(text(await open(doc))).toContain("token: token-one-secret");
    expect(await open(doc.replace("name: web", "name: api"))).toMatchObject({ ok: false, message: expect.stringMatching(/MAC mismatch/) });
    const bySuffix = await encodeSops([treeOf({ user: "app", pass_secret: "p2" })], {
      format: "dotenv",
      age: [host.recipient],
      rule: { kind: "encrypted_suffix", value: "_secret" },
    });
    expect(bySuffix).toContain("user=app");
    expect(text(await open(bySuffix))).toContain("pass_secret=p2");
  });

  it("comment rules: a value under a matching comment is encrypted, the rest is not", async () => {
    const tree: SopsMap = {
      kind: "map",
      items: [
        { key: "public", value: { kind: "str", bytes: Buffer.from("hello") } },
        { kind: "comment", text: " sops:enc" },
        { key: "secret", value: { kind: "str", bytes: Buffer.from("hidden") } },
      ],
    };
    const doc = await encodeSops([tree], { format: "dotenv", age: [host.recipient], rule: { kind: "encrypted_comment_regex", value: "sops:enc" } });
    expect(doc).toContain("public=hello");
    expect(doc).toContain("# sops:enc");
    expect(doc).not.toContain("hidden");
    expect(text(await open(doc))).toContain("secret=hidden");
  });
});

describe("keys: a host without one of the recipients' keys cannot open the file", () => {
  it("says so, naming the recipients it was encrypted for", async () => {
    const doc = await encodeSops([treeOf({ a: "b" })], { format: "yaml", age: [other.recipient] });
    expect(await open(doc)).toMatchObject({ ok: false, reason: "no-key" });
    expect(inspectEncryptedFile(Buffer.from(doc))?.recipients).toEqual([`age ${other.recipient}`]);
  });

  it("post-quantum hybrid identities (age1pq1…) open what is encrypted for them", async () => {
    const { generateHybridIdentity, identityToRecipient } = await import("age-encryption");
    const identity = await generateHybridIdentity();
    const recipient = await identityToRecipient(identity);
    expect(recipient.startsWith("age1pq1")).toBe(true);
    const doc = await encodeSops([treeOf({ k: "post-quantum" })], { format: "json", age: [recipient] });
    const pq: HostIdentities = { age: [{ identity, recipient }], pgp: [], pgpFingerprints: [], digest: "pq" };
    const file = inspectEncryptedFile(Buffer.from(doc));
    if (!file) throw new Error("not recognized");
    const d = await decryptFile(file, pq);
    expect(d.ok && d.file.variables?.get("k")?.text()).toBe("post-quantum");
  });
});
