import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManifestInvalidError, type ManifestProblem } from "../../src/errors.js";
import { checkPolicy, guardedPaths } from "../../src/policy/index.js";
import { DEFAULT_POLICY } from "../../src/config/security-section.js";
import { checkEngineRequests } from "../../src/apply/check-requests.js";
import { loadManifest, type LoadedManifest } from "../../src/manifest/index.js";
import type { DesiredService, DesiredStack } from "../../src/model.js";
import { decryptCommitFiles, manifestSecretsOf } from "../../src/manifest/files/decrypt-commit-files.js";
import { loadHostIdentities, NO_IDENTITIES, type HostIdentities } from "../../src/secrets/host-identities.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { encodeSops, treeOf } from "../support/sops-encoder.js";
import { ageEncrypt, ageKeygen } from "./helpers/age-keys.js";
import { repoTree } from "./helpers/repo-tree.js";

const STACK = "hosts/h1/shop/compose.yaml";
const RUNTIME = "/run/gitdock/secrets";
const HOST_KEY = Buffer.alloc(32, 7);
let host: { file: string; recipient: string };
let stranger: { file: string; recipient: string };
let ids: HostIdentities;

let dir: string;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gdt-sops-manifest-"));
  host = ageKeygen(dir);
  stranger = ageKeygen(dir);
  ids = await loadHostIdentities({ ageIdentityFile: host.file, openpgpPrivateKeyFile: undefined });
});

const COMPOSE = `name: shop
services:
  db:
    image: ${IMAGE}
    env_file: db.sops.env
  web:
    image: ${IMAGE}
    secrets:
      - source: tls_key
        target: /etc/tls/key.pem
        uid: "101"
        mode: 0440
    configs:
      - app_conf
secrets:
  tls_key:
    file: ./tls.key.age
configs:
  app_conf:
    file: ./app.sops.yaml
`;

async function files(recipient: string, password = "hunter2-db"): Promise<Record<string, string | Uint8Array>> {
  return {
    [STACK]: COMPOSE,
    "hosts/h1/shop/db.sops.env": await encodeSops([treeOf({ POSTGRES_PASSWORD: password, POSTGRES_USER: "app" })], { format: "dotenv", age: [recipient] }),
    "hosts/h1/shop/tls.key.age": ageEncrypt("-----BEGIN PRIVATE KEY-----\ntls-secret\n", recipient, true),
    "hosts/h1/shop/app.sops.yaml": await encodeSops([treeOf({ api: { token: "tok-123456" } })], { format: "yaml", age: [recipient] }),
  };
}

/** `keys: null` loads as `gitdock validate` does without --identity: nothing is decrypted. */
async function load(tree: Record<string, string | Uint8Array>, keys: HostIdentities | null = ids): Promise<LoadedManifest> {
  const t = repoTree("hosts/h1", tree);
  const secrets = keys && manifestSecretsOf(await decryptCommitFiles(t, "hosts/h1", keys), keys, RUNTIME, HOST_KEY);
  return loadManifest(t, secrets ? { secrets } : {});
}

async function problems(tree: Record<string, string | Uint8Array>, keys: HostIdentities | null = ids): Promise<ManifestProblem[]> {
  try {
    await load(tree, keys);
  } catch (err) {
    if (err instanceof ManifestInvalidError) return err.problems;
    throw err;
  }
  return expect.fail("expected problems");
}

const svc = (stack: DesiredStack, name: string) => stack.services.find((s) => s.name === name) as DesiredService;

describe("encrypted files of the repository in a stack", () => {
  it("an encrypted env_file's values reach the environment as secrets; secrets and configs become decrypted files on the tmpfs", async () => {
    const [stack] = (await load(await files(host.recipient))).stacks as [DesiredStack];
    expect(svc(stack, "db").envFiles).toEqual([
      { repoPath: "hosts/h1/shop/db.sops.env", values: { POSTGRES_PASSWORD: "hunter2-db", POSTGRES_USER: "app" }, secret: true },
    ]);
    const web = svc(stack, "web");
    expect(web.secrets).toEqual([
      {
        source: "tls_key",
        target: "/etc/tls/key.pem",
        file: expect.stringMatching(/^\/run\/gitdock\/secrets\/[0-9a-f]{40}\.0440\.101\.-$/),
        encrypted: "hosts/h1/shop/tls.key.age",
      },
    ]);
    expect(web.container.configs).toEqual([
      { source: "app_conf", target: "/app_conf", file: expect.stringMatching(/^\/run\/gitdock\/secrets\/[0-9a-f]{40}\.0400$/) },
    ]);
    const contents = Object.fromEntries((stack.decryptedFiles ?? []).map((o) => [o.repoPath, o.content.text()]));
    expect(contents).toEqual({
      "hosts/h1/shop/tls.key.age": "-----BEGIN PRIVATE KEY-----\ntls-secret\n",
      "hosts/h1/shop/app.sops.yaml": "api:\n  token: tok-123456\n",
    });
    expect(stack.encryptedFiles?.map((u) => [u.repoPath, u.usedAs, u.services, u.decrypted])).toEqual([
      ["hosts/h1/shop/app.sops.yaml", "config", ["web"], true],
      ["hosts/h1/shop/db.sops.env", "env_file", ["db"], true],
      ["hosts/h1/shop/tls.key.age", "secret", ["web"], true],
    ]);
    // Nothing decrypted prints as itself.
    expect(JSON.stringify(stack.decryptedFiles)).not.toContain("tls-secret");
  });

  it("names decrypted files by their content: re-encrypting the same values keeps every name, a new value changes only its own", async () => {
    const name = async (tree: Record<string, string | Uint8Array>) => (await load(tree)).stacks[0]?.decryptedFiles?.map((o) => o.name);
    const first = await files(host.recipient);
    const again = await files(host.recipient);
    expect(again["hosts/h1/shop/app.sops.yaml"]).not.toEqual(first["hosts/h1/shop/app.sops.yaml"]);
    expect(await name(again)).toEqual(await name(first));
    const changed = {
      ...first,
      "hosts/h1/shop/app.sops.yaml": await encodeSops([treeOf({ api: { token: "tok-999" } })], { format: "yaml", age: [host.recipient] }),
    };
    const [a, b] = [await name(first), await name(changed)];
    expect(a?.filter((n) => !b?.includes(n))).toHaveLength(1);
  });

  it("a host without the key refuses the commit at the line that names the file, saying which recipients it was encrypted for", async () => {
    const found = await problems(await files(stranger.recipient));
    expect(found.map((p) => `${p.line}:${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^5:services\\.db\\.env_file: "db\\.sops\\.env" \\(hosts/h1/shop/db\\.sops\\.env\\) is encrypted \\(SOPS dotenv\\) for age ${stranger.recipient}, and this host holds none of their keys \\(this host's keys: age ${host.recipient}\\)`,
        ),
      ),
      expect.stringMatching(
        /^9:services\.web\.secrets\[0\]\.source: hosts\/h1\/shop\/tls\.key\.age is encrypted \(age file, armored\) for age X25519 recipient \(age files do not name their recipients\)/,
      ),
      expect.stringMatching(/^14:services\.web\.configs\[0\]: hosts\/h1\/shop\/app\.sops\.yaml is encrypted \(SOPS yaml\) for age age1/),
    ]);
    expect((await problems(await files(host.recipient), NO_IDENTITIES))[0]?.message).toMatch(/this host has no keys/);
  });

  it("without a key (validate), the structure is judged: a plain value inside a SOPS file, a missing MAC", async () => {
    const good = await files(host.recipient);
    const [stack] = (await load(good, null)).stacks as [DesiredStack];
    expect(svc(stack, "db").envFiles).toEqual([{ repoPath: "hosts/h1/shop/db.sops.env", values: {}, secret: true }]);
    expect(stack.encryptedFiles?.every((u) => u.decrypted === undefined)).toBe(true);
    const tampered = {
      ...good,
      "hosts/h1/shop/db.sops.env": String(good["hosts/h1/shop/db.sops.env"])
        .replace(/^POSTGRES_USER=.*$/m, "POSTGRES_USER=root")
        .replace(/^sops_mac=.*\n/m, ""),
    };
    const found = (await problems(tampered, null)).map((p) => p.message).join("\n");
    expect(found).toMatch(/the file has no MAC/);
    expect(found).toMatch(/the value at POSTGRES_USER should be encrypted but is plain text/);
  });

  it("a secret committed in plain text stays refused, and the error says how to encrypt it", async () => {
    const tree = { ...(await files(host.recipient)), "hosts/h1/shop/tls.key.age": "-----BEGIN PRIVATE KEY-----\nplain\n" };
    const [p] = await problems(tree);
    expect(p?.message).toMatch(/in plain text: .*sops --encrypt --age <host recipient>/);
  });

  it("the policy: decrypted files pass the request-level check only for the project that mounts them; require_encrypted and recipients", async () => {
    const loaded = await load(await files(host.recipient));
    const [stack] = loaded.stacks as [DesiredStack];
    const guarded = guardedPaths([RUNTIME], [RUNTIME]);
    expect(checkPolicy(loaded.stacks, DEFAULT_POLICY, loaded.sources, guarded)).toEqual([]);
    expect(
      checkEngineRequests({ commit: "0".repeat(40), stacks: loaded.stacks }, { policy: DEFAULT_POLICY, guarded, agentId: "t", sources: loaded.sources }),
    ).toEqual([]);
    // Any other file of the tmpfs (another stack's decrypted secret), or the directory, named by a hand-written bind mount: the agent's own, refused.
    for (const source of [`${RUNTIME}/${"0".repeat(40)}.0400`, RUNTIME]) {
      const forged = COMPOSE.replace("    env_file: db.sops.env\n", `    env_file: db.sops.env\n    volumes: ["${source}:/stolen:ro"]\n`);
      const other = await load({ ...(await files(host.recipient)), [STACK]: forged });
      const refused = checkEngineRequests(
        { commit: "0".repeat(40), stacks: other.stacks },
        { policy: DEFAULT_POLICY, guarded, agentId: "t", sources: other.sources },
      );
      expect(refused.map((p) => p.message)).toContainEqual(expect.stringMatching(/would expose the agent's own \/run\/gitdock\/secrets/));
      expect(checkPolicy(other.stacks, DEFAULT_POLICY, other.sources, guarded).map((p) => p.message)).toContainEqual(
        expect.stringMatching(/\/run\/gitdock\/secrets/),
      );
    }
    expect(stack.decryptedFiles).toHaveLength(2);

    const strict = { ...DEFAULT_POLICY, secrets: { requireEncrypted: true, recipients: [host.recipient] } };
    const violations = checkPolicy(loaded.stacks, strict, loaded.sources, guarded).map((p) => p.message);
    expect(violations).toEqual([expect.stringMatching(/tls\.key\.age: an age file does not name its recipients/)]);
    const onHost = await load({ ...(await files(host.recipient)), [STACK]: COMPOSE.replace("file: ./tls.key.age", "file: /etc/gitdock/secrets/tls.key") });
    expect(
      checkPolicy(onHost.stacks, { ...strict, secrets: { requireEncrypted: true, recipients: [] } }, onHost.sources, guarded).map((p) => p.message),
    ).toEqual([
      expect.stringMatching(/secret file \/etc\/gitdock\/secrets\/tls\.key is on the host, but the host policy requires every secret to come encrypted/),
    ]);
    const forOthers = await load({
      ...(await files(host.recipient)),
      "hosts/h1/shop/app.sops.yaml": await encodeSops([treeOf({ a: "b" })], { format: "yaml", age: [host.recipient, stranger.recipient] }),
    });
    expect(
      checkPolicy(forOthers.stacks, { ...strict, secrets: { requireEncrypted: false, recipients: [host.recipient] } }, forOthers.sources, guarded).map(
        (p) => p.message,
      ),
    ).toContainEqual(expect.stringMatching(new RegExp(`app\\.sops\\.yaml: encrypted for ${stranger.recipient}, which the host policy does not list`)));
  });

  it("an encrypted .env gives the stack's variables, kept out of messages", async () => {
    const tree = {
      [STACK]: `name: shop\nservices:\n  db:\n    image: ${IMAGE}\n    environment:\n      PASSWORD: \${DB_PASSWORD}\n    ports: ["\${DB_PORT}:5432"]\n`,
      "hosts/h1/shop/.env": await encodeSops([treeOf({ DB_PASSWORD: "from-encrypted-env", DB_PORT: "99999" })], { format: "dotenv", age: [host.recipient] }),
    };
    const found = await problems(tree);
    expect(found.map((p) => p.message).join("\n")).not.toContain("99999");
    const ok = { ...tree, [STACK]: String(tree[STACK]).replace('    ports: ["${DB_PORT}:5432"]\n', "") };
    const [stack] = (await load(ok)).stacks as [DesiredStack];
    expect(svc(stack, "db").container.environment).toEqual({ PASSWORD: "from-encrypted-env" });
    expect(stack.encryptedFiles).toBeUndefined();
  });
});

describe("decrypted values in the spec hash", () => {
  it("an encrypted env_file's values are keyed digests (environmentFromFiles), never plain hashes: only their key-bound field changes", async () => {
    const { resolveHostInputs } = await import("../../src/observe/resolve-host-inputs.js");
    const hashesFor = async (password: string) => {
      const loaded = await load({ ...(await files(host.recipient, password)), [STACK]: COMPOSE.split("  web:")[0] as string });
      const resolved = await resolveHostInputs({ commit: "0".repeat(40), stacks: loaded.stacks }, HOST_KEY);
      return resolved.stacks[0]?.services.find((s) => s.service.name === "db")?.fieldHashes ?? {};
    };
    const [a, b, again] = [await hashesFor("first-password"), await hashesFor("second-password"), await hashesFor("first-password")];
    expect(a).toEqual(again);
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(["environmentFromFiles"]);
  });
});

describe("a host variables file encrypted with SOPS", () => {
  it("is decrypted with the host's keys; one for another key fails the pass, naming the file and its recipients", async () => {
    const { readHostVariables } = await import("../../src/observe/read-host-variables.js");
    const varsDir = join(dir, "env");
    mkdirSync(varsDir, { recursive: true });
    const file = join(varsDir, "shop.env");
    writeFileSync(file, await encodeSops([treeOf({ DB_PASSWORD: "host-held-secret" })], { format: "dotenv", age: [host.recipient] }), { mode: 0o600 });
    const manifest = { variablesDir: varsDir, variablesDirSet: true, processEnvironment: false, profiles: [] };
    const read = await readHostVariables(["shop"], manifest, [varsDir], guardedPaths([]), ids);
    expect(read.variables.valuesFor("shop")?.get("DB_PASSWORD")).toBe("host-held-secret");
    writeFileSync(file, await encodeSops([treeOf({ DB_PASSWORD: "x" })], { format: "dotenv", age: [stranger.recipient] }), { mode: 0o600 });
    await expect(readHostVariables(["shop"], manifest, [varsDir], guardedPaths([]), ids)).rejects.toThrow(
      `host variables file ${file} is encrypted (SOPS dotenv, for age ${stranger.recipient}) and cannot be decrypted: this host holds none of those keys (its keys: age ${host.recipient})`,
    );
  });
});
