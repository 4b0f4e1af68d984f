import { driftReasons } from "../../src/plan/plan.js";
import { encodeFieldHashes, HASH_SCHEME } from "../../src/plan/spec-hash.js";
import { runningAs } from "./helpers/fake-state.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerConfig } from "../../src/apply/container-config.js";
import { HostInputError } from "../../src/errors.js";
import { REDACT_PATHS } from "../../src/log.js";
import { loadStacks } from "../../src/manifest/index.js";
import { resolveHostInputs } from "../../src/observe/index.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 9);
const SECRET = "hunter2-planted-secret";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "gdt-sec-unit-"));
  await writeFile(path.join(dir, "db"), SECRET);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function desired(secretFile: string, withSecret = true) {
  const content = `services:
  web:
    image: ${IMAGE}
${withSecret ? "    secrets: [db, {source: db, target: db_copy}]\n" : ""}  plain:
    image: ${IMAGE}
secrets:
  db:
    file: ${secretFile}
`;
  return { commit: "c".repeat(40), stacks: loadStacks([{ path: "stacks/app/compose.yaml", content }], { root: "stacks" }) };
}

describe("secrets on the host", () => {
  it("puts only a keyed digest of the content into the spec, and mounts the file read-only", async () => {
    const resolved = await resolveHostInputs(desired(path.join(dir, "db")), KEY);
    const web = resolved.stacks[0]!.services.find((s) => s.service.name === "web")!;
    expect(web.spec.secrets).toEqual([
      { source: "db", target: "db", file: path.join(dir, "db"), digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { source: "db", target: "db_copy", file: path.join(dir, "db"), digest: web.spec.secrets![0]!.digest },
    ]);
    expect(JSON.stringify(web)).not.toContain(SECRET);

    const config = containerConfig({ stack: resolved.stacks[0]!.stack, service: web, number: 1, commit: "c".repeat(40), agentId: "h" });
    expect(config.create.HostConfig?.Mounts).toEqual([
      { Type: "bind", Source: path.join(dir, "db"), Target: "/run/secrets/db", ReadOnly: true },
      { Type: "bind", Source: path.join(dir, "db"), Target: "/run/secrets/db_copy", ReadOnly: true },
    ]);
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(JSON.stringify(config.create.Labels)).not.toContain(web.spec.secrets![0]!.digest);
  });

  it("changes the spec hash of the services that mount a secret when its content changes, and only theirs", async () => {
    const file = path.join(dir, "rotating");
    await writeFile(file, "one");
    const before = await resolveHostInputs(desired(file), KEY);
    await writeFile(file, "two");
    const after = await resolveHostInputs(desired(file), KEY);
    const hash = (r: typeof before, name: string) => r.stacks[0]!.services.find((s) => s.service.name === name)!;
    expect(hash(after, "web").specHash).not.toBe(hash(before, "web").specHash);
    expect(hash(after, "web").fieldHashes.secrets).not.toBe(hash(before, "web").fieldHashes.secrets);
    expect(hash(after, "plain").specHash).toBe(hash(before, "plain").specHash);
  });

  it("hashes a commit's service again on a later pass only when its secret content or the host key changed", async () => {
    // The agent resolves the same parsed commit on every poll (commit-manifest.ts); hashes are reused between passes.
    const file = path.join(dir, "rotating-again");
    await writeFile(file, "one");
    const commit = desired(file);
    const web = (r: Awaited<ReturnType<typeof resolveHostInputs>>) => r.stacks[0]!.services.find((s) => s.service.name === "web")!;
    const first = web(await resolveHostInputs(commit, KEY));
    const again = web(await resolveHostInputs(commit, KEY));
    expect(again.fieldHashes).toBe(first.fieldHashes);
    await writeFile(file, "two");
    const rotated = web(await resolveHostInputs(commit, KEY));
    expect(rotated.specHash).not.toBe(first.specHash);
    expect(rotated.fieldHashes.secrets).not.toBe(first.fieldHashes.secrets);
    const otherHost = web(await resolveHostInputs(commit, OTHER_KEY));
    expect(otherHost.specHash).not.toBe(rotated.specHash);
    expect(web(await resolveHostInputs(commit, KEY)).specHash).toBe(rotated.specHash);
  });

  it("hashes a commit's service again on a later pass when its env_file's content changed", async () => {
    const envFile = path.join(dir, "web.env");
    await writeFile(envFile, "MODE=one\n");
    const content = `services:\n  web:\n    image: ${IMAGE}\n    env_file: ${envFile}\n`;
    const commit = { commit: "e".repeat(40), stacks: loadStacks([{ path: "stacks/app/compose.yaml", content }], { root: "stacks" }) };
    const web = async () => (await resolveHostInputs(commit, KEY)).stacks[0]!.services[0]!;
    const first = await web();
    expect((await web()).specHash).toBe(first.specHash);
    await writeFile(envFile, "MODE=two\n");
    const changed = await web();
    expect(changed.spec.environment).toEqual({ MODE: "two" });
    expect(changed.specHash).not.toBe(first.specHash);
    // Values from env files are hashed as keyed digests in their own field (plan/spec-hash.ts, scheme 2).
    expect(changed.fieldHashes.environmentFromFiles).not.toBe(first.fieldHashes.environmentFromFiles);
    expect(changed.fieldHashes.environment).toBe(first.fieldHashes.environment);
  });

  it("a container made before hash scheme 2 is compared by its own scheme: unchanged stays, changed says what", async () => {
    const content = `services:\n  web:\n    image: ${IMAGE}\n    environment: { MODE: plain }\n`;
    const commit = { commit: "a".repeat(40), stacks: loadStacks([{ path: "stacks/app/compose.yaml", content }], { root: "stacks" }) };
    const web = (await resolveHostInputs(commit, KEY)).stacks[0]!.services[0]!;
    const legacy = {
      ...runningAs(web),
      specHash: web.legacy!.specHash,
      fieldHashesLabel: encodeFieldHashes(web.legacy!.fieldHashes),
      hashScheme: undefined,
      keyId: undefined,
    };
    expect(driftReasons(web, legacy)).toEqual([]);
    const edited = { ...legacy, specHash: "0".repeat(64), fieldHashesLabel: encodeFieldHashes({ ...web.legacy!.fieldHashes, environment: "x" }) };
    expect(driftReasons(web, edited)).toEqual(["config changed: environment"]);
  });

  it("a new host key changes the hash of a service with an env file or a secret only, and the plan says why", async () => {
    const envFile = path.join(dir, "db.env");
    await writeFile(envFile, "PASSWORD=hunter2\n");
    const content = `services:\n  web:\n    image: ${IMAGE}\n    environment: { MODE: plain }\n  db:\n    image: ${IMAGE}\n    env_file: ${envFile}\n`;
    const commit = { commit: "f".repeat(40), stacks: loadStacks([{ path: "stacks/app/compose.yaml", content }], { root: "stacks" }) };
    const before = await resolveHostInputs(commit, KEY);
    const after = await resolveHostInputs(commit, OTHER_KEY);
    const byName = (s: typeof before, name: string) => s.stacks[0]!.services.find((x) => x.service.name === name)!;
    expect(byName(after, "web").specHash).toBe(byName(before, "web").specHash);
    expect(byName(after, "db").specHash).not.toBe(byName(before, "db").specHash);
    const old = byName(before, "db");
    const observed = {
      ...runningAs(old),
      specHash: old.specHash,
      fieldHashesLabel: encodeFieldHashes(old.fieldHashes),
      hashScheme: HASH_SCHEME,
      keyId: old.keyId,
    };
    expect(driftReasons(byName(after, "db"), observed)).toEqual(["secret digest key changed"]);
    expect(driftReasons(byName(after, "web"), { ...runningAs(byName(before, "web")), keyId: old.keyId })).toEqual([]);
  });

  it("keys the digest with the host key: the same content gives different digests on different hosts", async () => {
    const a = await resolveHostInputs(desired(path.join(dir, "db")), KEY);
    const b = await resolveHostInputs(desired(path.join(dir, "db")), OTHER_KEY);
    expect(a.stacks[0]!.services[1]!.spec.secrets![0]!.digest).not.toBe(b.stacks[0]!.services[1]!.spec.secrets![0]!.digest);
  });

  it("leaves the spec of a service without secrets exactly as before secrets existed", async () => {
    const resolved = await resolveHostInputs(desired(path.join(dir, "db"), false), KEY);
    for (const s of resolved.stacks[0]!.services) {
      expect(Object.keys(s.spec)).not.toContain("secrets");
      expect(Object.keys(s.fieldHashes)).not.toContain("secrets");
    }
  });

  it("fails the sync before anything changes when a secret file is missing, without its content", async () => {
    await expect(resolveHostInputs(desired(path.join(dir, "missing")), KEY)).rejects.toThrow(HostInputError);
    await expect(resolveHostInputs(desired(path.join(dir, "missing")), KEY)).rejects.toThrow(/secret file .*missing cannot be read: ENOENT/);
  });
});

describe("log redaction", () => {
  it("censors environment values, credentials, secrets and bodies, one and two levels deep", () => {
    let out = "";
    const sink = new Writable({ write: (chunk, _enc, cb) => ((out += String(chunk)), cb()) });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, sink);
    log.info(
      {
        environment: { A: SECRET },
        password: SECRET,
        body: SECRET,
        secrets: [{ digest: SECRET }],
        spec: { environment: { B: SECRET }, secrets: [SECRET] },
        config: { create: { Env: [`X=${SECRET}`] } },
        req: { headers: { authorization: `Bearer ${SECRET}` }, body: SECRET },
        deep: { auth: { password: SECRET, token: SECRET } },
      },
      "something happened",
    );
    expect(out).toContain("something happened");
    expect(out).not.toContain(SECRET);
  });
});
