/**
 * The one recorder of a commit's outcomes (src/reconcile/record-outcome.ts) against a real state
 * directory: for each outcome, state.json, the journal (and its checkpoint) and the listeners.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/load-settings.js";
import { LastGoodRejectedError, PolicyViolationError } from "../../src/errors.js";
import type { CommitOutcome, ReconcileContext } from "../../src/reconcile/context.js";
import type { VerifiedImage } from "../../src/image-signatures/index.js";
import { recordImageSigners, recordOutcome, recordRolloutStart } from "../../src/reconcile/record-outcome.js";
import { Journal, StateStore } from "../../src/state/index.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

let dir: string;
let ctx: ReconcileContext;
let told: CommitOutcome[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "gdt-recorder-"));
  told = [];
  const settings = { ...(await loadSettings({ stateDir: dir })), hostId: "h1" };
  ctx = {
    settings,
    log: pino({ level: "silent" }),
    store: await StateStore.open(dir),
    journal: await Journal.open(dir),
    outcomeListeners: [(o: CommitOutcome) => void told.push(o)],
  } as unknown as ReconcileContext;
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function journal(): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(dir, "journal.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
async function checkpointSeq(): Promise<number | undefined> {
  const text = await readFile(path.join(dir, "journal.head"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { seq: number }).seq;
}
const marker = (commit: string) => ({ commit, previousCommit: A, startedAt: new Date().toISOString(), stacks: ["shop"] });
const rejection = new PolicyViolationError([
  { file: "hosts/h1/app/compose.yaml", line: 4, col: 7, path: "services.web.privileged", message: "privileged containers are not allowed" },
]);

describe("recordOutcome writes state, journal, checkpoint and listeners in one place", () => {
  it("rejected: the mark, a reject line, the first problem to the listeners", async () => {
    await recordOutcome(ctx, { kind: "rejected", commit: B, error: rejection });
    const s = await ctx.store.read();
    expect(s.rejected[B]?.reason).toBe(rejection.message);
    expect((await journal()).map((e) => [e["action"], e["outcome"]])).toEqual([["reject", "rejected"]]);
    expect(await checkpointSeq()).toBe(1);
    expect(told).toMatchObject([
      {
        commit: B,
        hostId: "h1",
        outcome: "rejected",
        reason: "policy: hosts/h1/app/compose.yaml:4:7: services.web.privileged: privileged containers are not allowed",
      },
    ]);
  });

  it("good: last applied and last good, the rollout marker gone, a healthy sync line, healthy to the listeners", async () => {
    await recordRolloutStart(ctx, marker(B));
    await recordOutcome(ctx, { kind: "good", commit: B, changed: 3 });
    const s = await ctx.store.read();
    expect([s.lastApplied?.commit, s.lastGood?.commit, s.goodHistory, s.rollout]).toEqual([B, B, [B], undefined]);
    expect((await journal()).map((e) => [e["action"], e["outcome"], (e["data"] as { changed?: number })?.changed])).toEqual([["sync", "healthy", 3]]);
    expect(told.map((o) => o.outcome)).toEqual(["healthy"]);
  });

  it("repaired: last applied moves, last good stays, nothing told", async () => {
    await recordOutcome(ctx, { kind: "good", commit: A, changed: 1 });
    told.length = 0;
    await recordRolloutStart(ctx, marker(A));
    await recordOutcome(ctx, { kind: "repaired", commit: A, changed: 1 });
    const s = await ctx.store.read();
    expect([s.lastGood?.commit, s.rollout]).toEqual([A, undefined]);
    expect((await journal()).map((e) => e["outcome"])).toEqual(["healthy", "repaired"]);
    expect(told).toEqual([]);
  });

  it("rolled back: a new release is marked failed and told; a failed repair or an interrupted rollout is only journaled", async () => {
    await recordRolloutStart(ctx, marker(B));
    await recordOutcome(ctx, {
      kind: "rolled-back",
      commit: B,
      reason: "health gate failed: shop-web-1: probe",
      durationMs: 420,
      release: true,
      interrupted: false,
      undoComplete: true,
    });
    let s = await ctx.store.read();
    expect([s.failed[B]?.reason, s.rollout]).toEqual(["health gate failed: shop-web-1: probe", undefined]);
    expect(told).toMatchObject([{ commit: B, outcome: "rolled-back", durationMs: 420 }]);
    const C = "c".repeat(40);
    await recordOutcome(ctx, { kind: "rolled-back", commit: C, reason: "stopped", durationMs: 10, release: true, interrupted: true, undoComplete: true });
    await recordOutcome(ctx, {
      kind: "rolled-back",
      commit: A,
      reason: "repair failed",
      durationMs: 10,
      release: false,
      interrupted: false,
      undoComplete: true,
    });
    s = await ctx.store.read();
    expect(Object.keys(s.failed)).toEqual([B]);
    expect((await journal()).map((e) => [e["action"], e["outcome"]])).toEqual([
      ["rollback", "rolled-back"],
      ["rollback", "rolled-back"],
      ["rollback", "repair-failed"],
    ]);
    expect(told).toHaveLength(1);
  });

  it("rolled back with an undo that could not finish: the marker stays, so the next pass undoes the rest", async () => {
    await recordRolloutStart(ctx, marker(B));
    await recordOutcome(ctx, { kind: "rolled-back", commit: B, reason: "gate", durationMs: 5, release: true, interrupted: false, undoComplete: false });
    const s = await ctx.store.read();
    expect([s.failed[B]?.reason, s.rollout?.commit]).toEqual(["gate", B]);
  });

  it("disrupted: not held against the commit, nothing told, the marker stays for the next pass to undo from", async () => {
    await recordRolloutStart(ctx, marker(B));
    await recordOutcome(ctx, { kind: "disrupted", commit: B, reason: "the Engine's event stream ended during the rollout" });
    const s = await ctx.store.read();
    expect([Object.keys(s.failed), s.rollout?.commit]).toEqual([[], B]);
    expect((await journal()).map((e) => [e["action"], e["outcome"]])).toEqual([["rollout", "interrupted"]]);
    expect(told).toEqual([]);
  });

  it("paused: marked failed, the marker gone, paused to the listeners", async () => {
    await recordRolloutStart(ctx, marker(B));
    await recordOutcome(ctx, { kind: "paused", commit: B, reason: "health gate failed" });
    const s = await ctx.store.read();
    expect([s.failed[B]?.reason, s.rollout]).toEqual(["health gate failed", undefined]);
    expect((await journal()).map((e) => [e["action"], e["outcome"]])).toEqual([["pause", "paused"]]);
    expect(told.map((o) => o.outcome)).toEqual(["paused"]);
  });

  it("recovered: the marker of the interrupted rollout gone, a recover line with how many steps were undone", async () => {
    await recordRolloutStart(ctx, marker(B));
    await recordOutcome(ctx, { kind: "recovered", commit: B, undone: 2 });
    expect((await ctx.store.read()).rollout).toBeUndefined();
    expect((await journal()).map((e) => [e["action"], e["outcome"], (e["data"] as { undone?: number })?.undone])).toEqual([["recover", "ok", 2]]);
    expect(told).toEqual([]);
  });

  it("halted once per reason, then resumed", async () => {
    const err = new LastGoodRejectedError({ commit: A, target: B, stage: "policy", reason: "port 80 no longer allowed" });
    await recordOutcome(ctx, { kind: "halted", error: err });
    await recordOutcome(ctx, { kind: "halted", error: err });
    expect((await ctx.store.read()).halted?.commit).toBe(A);
    await recordOutcome(ctx, { kind: "resumed", commit: A, since: "then" });
    expect((await ctx.store.read()).halted).toBeUndefined();
    expect((await journal()).map((e) => [e["action"], e["outcome"]])).toEqual([
      ["halt", "halted"],
      ["halt", "resumed"],
    ]);
  });

  it("changed in place: a journal line in gitdock's words and nothing else (no state, no listeners)", async () => {
    const before = await readFile(path.join(dir, "state.json"), "utf8").catch(() => undefined);
    const finding = {
      commit: A,
      stack: "shop",
      service: "web",
      container: "shop-web-1",
      containerId: "id1",
      kind: "exec" as const,
      at: new Date().toISOString(),
      reason: "exec: cat /etc/passwd",
      mode: "report" as const,
      data: { kind: "exec", execId: "e1", command: "cat /etc/passwd" },
    };
    await recordOutcome(ctx, { kind: "changed-in-place", finding });
    expect(await journal()).toEqual([
      expect.objectContaining({
        commit: A,
        stack: "shop",
        service: "web",
        container: "shop-web-1",
        action: "changed-in-place",
        reason: "exec: cat /etc/passwd",
        outcome: "reported",
        data: finding.data,
      }),
    ]);
    expect(await checkpointSeq()).toBe(1);
    expect(await readFile(path.join(dir, "state.json"), "utf8").catch(() => undefined)).toBe(before);
    expect(told).toEqual([]);
    await recordOutcome(ctx, { kind: "changed-in-place", finding: { ...finding, mode: "replace" } });
    expect((await journal())[1]?.["outcome"]).toBe("replacing");
  });

  it("a listener that throws changes nothing else", async () => {
    ctx.outcomeListeners = [
      () => {
        throw new Error("notes server down");
      },
      (o) => void told.push(o),
    ];
    await recordOutcome(ctx, { kind: "good", commit: B, changed: 0 });
    expect((await ctx.store.read()).lastGood?.commit).toBe(B);
    expect(told).toHaveLength(1);
  });
});

describe("the signers of a commit's images", () => {
  const key = { kind: "key" as const, algorithm: "ecdsa-p256" as const, fingerprint: "SHA256:abc", source: "/etc/gitdock/cosign.pub" };
  const images: VerifiedImage[] = [
    { stack: "shop", service: "web", image: "ghcr.io/acme/web@sha256:1", signer: key, layout: "cosign-tag" },
    { stack: "shop", service: "api", image: "ghcr.io/acme/api@sha256:2", signer: key, layout: "sigstore-bundle" },
    {
      stack: "blog",
      service: "web",
      image: "ghcr.io/acme/blog@sha256:3",
      signer: { kind: "keyless", subject: "ci@acme.example", issuer: "https://issuer" },
      layout: "sigstore-bundle",
    },
  ];

  it("are journaled once per commit and set of signers, and told with the commit's healthy outcome, not with a rejection", async () => {
    await recordImageSigners(ctx, B, images);
    await recordImageSigners(ctx, B, [...images].reverse());
    const lines = (await journal()).filter((e) => e["action"] === "verify-images");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      commit: B,
      outcome: "valid",
      data: { images: [{ service: "shop/web", image: "ghcr.io/acme/web@sha256:1", signer: key, layout: "cosign-tag" }, {}, {}] },
    });
    await recordOutcome(ctx, { kind: "good", commit: B, changed: 3 });
    expect(told).toMatchObject([{ commit: B, outcome: "healthy", imageSigners: ["key SHA256:abc (2)", "keyless ci@acme.example (https://issuer) (1)"] }]);
    await recordOutcome(ctx, { kind: "rejected", commit: B, error: rejection });
    expect(told[1]?.imageSigners).toBeUndefined();
    await recordOutcome(ctx, { kind: "good", commit: A, changed: 0 });
    expect(told[2]?.imageSigners).toBeUndefined();
  });
});
