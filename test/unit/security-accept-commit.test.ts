import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securitySectionDefaults } from "../../src/config/security-section.js";
import { loadSettings } from "../../src/config/load-settings.js";
import type { Settings } from "../../src/config/settings.js";
import { ManifestInvalidError, PolicyViolationError, SignatureRejectedError } from "../../src/errors.js";
import type { DesiredState } from "../../src/model.js";
import { acceptCommit, type Acceptance } from "../../src/reconcile/accept-commit.js";
import type { ReconcileContext } from "../../src/reconcile/context.js";
import { recordSignatureVerdict } from "../../src/reconcile/record-outcome.js";
import { readSignatureRecords } from "../../src/source/signer-record.js";
import { Journal } from "../../src/state/index.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";
import { createScratchRepo, createSigningKit, type ScratchRepo, type SigningKit } from "./helpers/signing-keys.js";

let kit: SigningKit;
let repo: ScratchRepo;
let allowed: string;

beforeAll(async () => {
  kit = await createSigningKit(["ed25519"]);
  repo = await createScratchRepo(kit);
  allowed = path.join(kit.dir, "allowed_signers");
  await writeFile(allowed, `${await kit.allowedLine("ed25519", "alice@test")}\n`);
}, 60_000);
afterAll(async () => kit?.dispose());

/** An Engine with nothing on it: these tests judge commits, not a host. */
const noEngine = async () => ({ containers: [], networks: [], volumes: [] });

/** The check's error, when the commit failed one. */
const rejection = (v: Acceptance) => (v.ok ? undefined : v.error);

/** What a (non-dry-run) pass does: accept, then record the signature verdict; the accepted state, or the rejection thrown. */
async function acceptAndRecord(ctx: ReconcileContext, commit: string): Promise<DesiredState> {
  const v = await acceptCommit(ctx, repo.gitdir, commit, { engine: noEngine });
  if (v.signature) await recordSignatureVerdict(ctx, commit, v.signature);
  if (!v.ok) throw v.error;
  return v.desired;
}

let n = 0;
async function context(mode: "off" | "warn" | "enforce", policy: Record<string, unknown> = {}): Promise<ReconcileContext> {
  const stateDir = path.join(kit.dir, `state-${n++}`);
  const security = securitySectionDefaults({ verify: { mode, allowed_signers: allowed }, policy });
  const settings: Settings = { ...(await loadSettings({ stateDir, path: "" })), security };
  return { settings, log: pino({ level: "silent" }), journal: await Journal.open(stateDir) } as unknown as ReconcileContext;
}

const compose = (body: string) => `name: app\nservices:\n  web:\n    image: ${IMAGE}\n${body}\n`;

async function commitFile(content: string, signed: boolean): Promise<string> {
  await writeFile(path.join(path.dirname(repo.gitdir), "compose.yaml"), content);
  return repo.commit("change", signed ? { ssh: kit.sshKey("ed25519") } : undefined);
}

async function journalActions(ctx: ReconcileContext): Promise<string[]> {
  const text = await readFile(path.join(ctx.settings.stateDir, "journal.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => `${JSON.parse(l).action}:${JSON.parse(l).outcome}`);
}

describe("accepting a target commit: signature, then manifest, then policy", () => {
  it("checks the signature before the manifest: an unsigned invalid commit is rejected for its signature", async () => {
    const commit = await commitFile("services: [broken", false);
    const err = await acceptCommit(await context("enforce"), repo.gitdir, commit, { engine: noEngine }).then(rejection);
    expect(err).toBeInstanceOf(SignatureRejectedError);
    expect((err as SignatureRejectedError).status).toBe("missing");
  });

  it("then validates the manifest of a well-signed commit", async () => {
    const commit = await commitFile("services: [broken", true);
    expect(await acceptCommit(await context("enforce"), repo.gitdir, commit, { engine: noEngine }).then(rejection)).toBeInstanceOf(ManifestInvalidError);
  });

  it("then applies the host policy, listing every violation", async () => {
    const commit = await commitFile(compose("    privileged: true\n    user: root"), true);
    const err = (await acceptCommit(await context("enforce"), repo.gitdir, commit, { engine: noEngine }).then(rejection)) as PolicyViolationError;
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.path}`)).toEqual([
      "compose.yaml:5:17: services.web.privileged",
      "compose.yaml:6:11: services.web.user",
    ]);
    const allowed = await acceptAndRecord(await context("enforce", { privileged: true, root_user: true }), commit);
    expect(allowed.stacks[0]?.services[0]?.container.privileged).toBe(true);
  });

  it("records a good signature once per commit, for status, and journals it once", async () => {
    const commit = await commitFile(compose(""), true);
    const ctx = await context("enforce");
    await acceptAndRecord(ctx, commit);
    await acceptAndRecord(ctx, commit);
    expect(await journalActions(ctx)).toEqual(["verify:valid"]);
    expect(await readSignatureRecords(ctx.settings.stateDir)).toMatchObject([{ commit, status: "valid", signer: { format: "ssh", principal: "alice@test" } }]);
  });

  it("warn applies an unsigned commit and records why; off does not even look", async () => {
    const commit = await commitFile(compose(""), false);
    const warn = await context("warn");
    expect((await acceptAndRecord(warn, commit)).commit).toBe(commit);
    expect(await readSignatureRecords(warn.settings.stateDir)).toMatchObject([{ commit, status: "missing" }]);
    const off = await context("off");
    expect((await acceptAndRecord(off, commit)).commit).toBe(commit);
    expect(await readSignatureRecords(off.settings.stateDir)).toEqual([]);
  });

  it("plan (dry run) verifies without recording anything: accepting writes nothing, the pass records", async () => {
    const commit = await commitFile(compose(""), true);
    const ctx = await context("enforce");
    await acceptCommit(ctx, repo.gitdir, commit, { engine: noEngine });
    expect(await readSignatureRecords(ctx.settings.stateDir)).toEqual([]);
    expect(await journalActions(ctx)).toEqual([]);
  });
});
