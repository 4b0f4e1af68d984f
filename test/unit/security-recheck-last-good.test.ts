/**
 * The re-check of the last good commit (recheck-last-good.ts) over a real repository whose commits
 * real `git` signed with a key from `ssh-keygen`, and the cache of its verdicts (verdict-cache.ts).
 */
import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securitySectionDefaults } from "../../src/config/security-section.js";
import { loadSettings } from "../../src/config/load-settings.js";
import type { Settings } from "../../src/config/settings.js";
import { LastGoodRejectedError } from "../../src/errors.js";
import type { ReconcileContext } from "../../src/reconcile/reconcile.js";
import { loadCheckedLastGood, recheckLastGood } from "../../src/reconcile/recheck-last-good.js";
import { VerdictCache } from "../../src/reconcile/verdict-cache.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { createScratchRepo, createSigningKit, type ScratchRepo, type SigningKit } from "./helpers/signing-keys.js";

describe("VerdictCache", () => {
  function counted() {
    let calls = 0;
    return { compute: async () => ++calls, calls: () => calls };
  }

  it("judges a (key, policy object) pair once", async () => {
    const cache = new VerdictCache<number>({ keep: 4, maxAgeMs: 60_000 });
    const policy = {};
    const c = counted();
    expect(await cache.get("k", policy, c.compute)).toBe(1);
    expect(await cache.get("k", policy, c.compute)).toBe(1);
    expect(c.calls()).toBe(1);
  });

  it("judges again for another policy object (a config reload) or another key (a commit, changed trust files)", async () => {
    const cache = new VerdictCache<number>({ keep: 4, maxAgeMs: 60_000 });
    const policy = {};
    const c = counted();
    await cache.get("k", policy, c.compute);
    expect(await cache.get("k", {}, c.compute)).toBe(2);
    expect(await cache.get("other", policy, c.compute)).toBe(3);
    expect(await cache.get("k", policy, c.compute)).toBe(1);
  });

  it("judges again once a verdict is older than maxAgeMs", async () => {
    let now = 1_000;
    const cache = new VerdictCache<number>({ keep: 4, maxAgeMs: 500, now: () => now });
    const policy = {};
    const c = counted();
    await cache.get("k", policy, c.compute);
    now += 499;
    expect(await cache.get("k", policy, c.compute)).toBe(1);
    now += 1;
    expect(await cache.get("k", policy, c.compute)).toBe(2);
  });

  it("keeps at most `keep` keys, dropping the oldest", async () => {
    const cache = new VerdictCache<number>({ keep: 2, maxAgeMs: 60_000 });
    const policy = {};
    const c = counted();
    for (const k of ["a", "b", "c"]) await cache.get(k, policy, c.compute);
    expect(await cache.get("c", policy, c.compute)).toBe(3);
    expect(await cache.get("a", policy, c.compute)).toBe(4);
  });

  it("does not keep a computation that threw", async () => {
    const cache = new VerdictCache<number>({ keep: 2, maxAgeMs: 60_000 });
    const policy = {};
    await expect(cache.get("k", policy, async () => Promise.reject(new Error("trust file unreadable")))).rejects.toThrow("unreadable");
    expect(await cache.get("k", policy, async () => 7)).toBe(7);
  });
});

let kit: SigningKit;
let repo: ScratchRepo;
let allowed: string;
let signed: string;
let unsigned: string;

beforeAll(async () => {
  kit = await createSigningKit(["ed25519"]);
  repo = await createScratchRepo(kit);
  allowed = path.join(kit.dir, "allowed_signers");
  await writeFile(allowed, `${await kit.allowedLine("ed25519", "alice@test")}\n`);
  await writeFile(path.join(path.dirname(repo.gitdir), "compose.yaml"), `name: app\nservices:\n  web:\n    image: ${IMAGE}\n    ports: ["8080:80"]\n`);
  signed = await repo.commit("release", { ssh: kit.sshKey("ed25519") });
  unsigned = await repo.commit("unsigned release");
}, 60_000);
afterAll(async () => kit?.dispose());

/** An Engine with nothing on it: these tests judge commits, not a host. */
const noEngine = async () => ({ containers: [], networks: [], volumes: [] });
let baseSettings: Settings;
beforeAll(async () => {
  baseSettings = await loadSettings({ path: "" });
});

let n = 0;
/** A context with no state store and no journal: a re-check that tried to write would throw. */
function context(mode: "warn" | "enforce", policy: Record<string, unknown> = {}): { ctx: ReconcileContext; lines: () => string[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  const stateDir = path.join(kit.dir, `state-${n++}`);
  const security = securitySectionDefaults({ verify: { mode, allowed_signers: allowed }, policy });
  const settings: Settings = { ...baseSettings, stateDir, security };
  return { ctx: { settings, log: pino({ level: "debug" }, sink) } as unknown as ReconcileContext, lines: () => out };
}

const verifications = (lines: string[]) => lines.filter((l) => l.includes("verifying the commit's signature")).length;

describe("recheckLastGood", () => {
  it("passes a good commit and writes nothing", async () => {
    const { ctx } = context("enforce");
    const verdict = await recheckLastGood(ctx, repo.gitdir, signed, noEngine);
    expect(verdict).toMatchObject({ ok: true, desired: { commit: signed } });
    await expect(access(ctx.settings.stateDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("verifies the signature once for the same commit, trust files and policy, however often it is asked", async () => {
    const { ctx, lines } = context("enforce");
    for (let i = 0; i < 5; i++) expect((await recheckLastGood(ctx, repo.gitdir, signed, noEngine)).ok).toBe(true);
    expect(verifications(lines())).toBe(1);
  });

  it("fails once the policy is tightened (a new policy object), naming the check", async () => {
    const { ctx } = context("enforce", { published_ports: ["9000-9100"] });
    const verdict = await recheckLastGood(ctx, repo.gitdir, signed, noEngine);
    expect(verdict).toMatchObject({
      ok: false,
      check: "policy",
      reason: expect.stringMatching(/^policy: compose\.yaml:\d+:\d+: services\.web\.ports\[0\]: host port 8080\/tcp/),
    });
  });

  it("fails once the signer's key is removed from the trust file, on the next call, though the settings object is the same", async () => {
    const { ctx, lines } = context("enforce");
    expect((await recheckLastGood(ctx, repo.gitdir, signed, noEngine)).ok).toBe(true);
    try {
      // Only another key is trusted now.
      const [type, key] = (await readFile(`${kit.strangerKey}.pub`, "utf8")).split(" ");
      await writeFile(allowed, `bob@test ${type} ${key}\n`);
      const verdict = await recheckLastGood(ctx, repo.gitdir, signed, noEngine);
      expect(verdict).toMatchObject({ ok: false, check: "signature", reason: expect.stringMatching(/^signature untrusted: /) });
      expect(verifications(lines())).toBe(2);
    } finally {
      await writeFile(allowed, `${await kit.allowedLine("ed25519", "alice@test")}\n`);
    }
  });

  it("judges under the current verification mode: an unsigned commit fails in enforce, passes in warn", async () => {
    expect(await recheckLastGood(context("enforce").ctx, repo.gitdir, unsigned, noEngine)).toMatchObject({ ok: false, check: "signature" });
    expect(await recheckLastGood(context("warn").ctx, repo.gitdir, unsigned, noEngine)).toMatchObject({ ok: true });
  });
});

describe("loadCheckedLastGood", () => {
  it("gives the desired state of a commit that passes", async () => {
    expect((await loadCheckedLastGood(context("enforce").ctx, repo.gitdir, signed, "head", noEngine)).commit).toBe(signed);
  });

  it("throws LastGoodRejectedError, which reconcile turns into the halted outcome", async () => {
    const err = (await loadCheckedLastGood(context("enforce").ctx, repo.gitdir, unsigned, "head", noEngine).catch((e: unknown) => e)) as LastGoodRejectedError;
    expect(err).toBeInstanceOf(LastGoodRejectedError);
    expect(err).toMatchObject({ code: "GITDOCK_E_LAST_GOOD_REJECTED", handling: "reject", commit: unsigned, target: "head", stage: "signature" });
    expect(err.message).toMatch(
      new RegExp(
        `^the last good commit ${unsigned.slice(0, 12)} no longer passes the signature check: signature missing: the commit is not signed; gitdock changes nothing on this host until a new commit passes$`,
      ),
    );
    expect(err.hint).toMatch(/resumes by itself/);
  });
});
