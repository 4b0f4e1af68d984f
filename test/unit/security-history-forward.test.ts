/**
 * Signed history moves forward: the pure ancestry walk over fake commit graphs, and the check
 * itself (check-history-forward.ts) over a real local repository whose commits real `git` made.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securitySectionDefaults } from "../../src/config/security-section.js";
import type { Settings } from "../../src/config/settings.js";
import { HistoryRewoundError } from "../../src/errors.js";
import { checkHistoryForward } from "../../src/reconcile/check-history-forward.js";
import type { ReconcileContext } from "../../src/reconcile/reconcile.js";
import { judgeAncestry, type ReadParents } from "../../src/source/commit-ancestry.js";
import { allowRewindTo, defaultHostState, markGood, type HostState } from "../../src/state/index.js";
import { createScratchRepo, createSigningKit, type ScratchRepo, type SigningKit } from "./helpers/signing-keys.js";

/** A commit graph as `child: [parents]`; a commit absent from it is "not here" (a shallow edge). */
function graph(edges: Record<string, string[]>): { read: ReadParents; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: async (oid) => {
      reads.push(oid);
      return Object.hasOwn(edges, oid) ? edges[oid] : undefined;
    },
  };
}

describe("judgeAncestry", () => {
  const linear = { c4: ["c3"], c3: ["c2"], c2: ["c1"], c1: [] };

  it.each([
    ["a linear history", linear, "c4", "c1", { kind: "descendant", walked: 3 }],
    ["the commit itself", linear, "c4", "c4", { kind: "descendant", walked: 0 }],
    ["an older commit is not a descendant of a newer one (a rewind)", linear, "c2", "c4", { kind: "not-descendant", walked: 2 }],
    ["an unrelated root", { ...linear, r1: [] }, "r1", "c4", { kind: "not-descendant", walked: 1 }],
    ["through the second parent of a merge", { m: ["a", "b"], a: ["base"], b: ["lg"], lg: ["base"], base: [] }, "m", "lg", { kind: "descendant", walked: 4 }],
    ["a shallow edge before the ancestor", { c4: ["c3"], c3: ["c2"] }, "c4", "c1", { kind: "unknown", walked: 3, why: "missing" }],
    // The ancestor need not be present: it is recognized by its id.
    ["an ancestor that is not here itself", { c4: ["c3"], c3: ["c2"] }, "c4", "c2", { kind: "descendant", walked: 2 }],
  ])("%s", async (_name, edges, commit, ancestor, expected) => {
    expect(await judgeAncestry(commit, ancestor, graph(edges).read, 100)).toEqual(expected);
  });

  it("reads at most `limit` commits and then says it cannot tell", async () => {
    const edges: Record<string, string[]> = { c0: [] };
    for (let i = 1; i <= 50; i++) edges[`c${i}`] = [`c${i - 1}`];
    const g = graph(edges);
    expect(await judgeAncestry("c50", "c0", g.read, 10)).toEqual({ kind: "unknown", walked: 10, why: "limit" });
    expect(g.reads).toHaveLength(10);
    expect(await judgeAncestry("c50", "c0", graph(edges).read, 50)).toEqual({ kind: "descendant", walked: 50 });
  });

  it("reads each commit once in a history of many merges", async () => {
    // A ladder of merges: every commit reaches the base along many paths.
    const edges: Record<string, string[]> = { base: [] };
    for (let i = 0; i < 20; i++) {
      const prev = i === 0 ? "base" : `m${i - 1}`;
      edges[`a${i}`] = [prev];
      edges[`b${i}`] = [prev];
      edges[`m${i}`] = [`a${i}`, `b${i}`];
    }
    const g = graph(edges);
    expect(await judgeAncestry("m19", "elsewhere", g.read, 1000)).toMatchObject({ kind: "not-descendant", walked: 61 });
    expect(new Set(g.reads).size).toBe(g.reads.length);
  });
});

const exec = promisify(execFile);
let kit: SigningKit;
let repo: ScratchRepo;
const commits: string[] = [];
let unrelated: string;

beforeAll(async () => {
  kit = await createSigningKit(["ed25519"]);
  repo = await createScratchRepo(kit);
  for (let i = 0; i < 3; i++) commits.push(await repo.commit(`c${i}`));
  // Another history in the same repository: a new root commit, as a force-push to it would bring.
  const git = (args: string[]) => exec("git", ["-c", "commit.gpgsign=false", ...args], { cwd: path.dirname(repo.gitdir) });
  await git(["checkout", "-q", "--orphan", "other"]);
  unrelated = await repo.commit("unrelated root");
  await git(["checkout", "-q", "main"]);
}, 60_000);
afterAll(async () => kit?.dispose());

function context(verify: { mode: "off" | "warn" | "enforce"; allow_rewind?: boolean }): ReconcileContext {
  const security = securitySectionDefaults({ verify: { allowed_signers: "/nonexistent", ...verify } });
  const settings = { repo: path.dirname(repo.gitdir), branch: "main", path: "", security } as unknown as Settings;
  return { settings, log: pino({ level: "silent" }) } as unknown as ReconcileContext;
}

const goodAt = (commit: string): HostState => markGood(defaultHostState(), commit, "2026-11-22T14:00:00.000Z");

describe("checkHistoryForward (a local repository: its whole history is here)", () => {
  it("accepts a descendant of the last good commit, the last good commit itself, and a first apply", async () => {
    const ctx = context({ mode: "enforce" });
    await checkHistoryForward(ctx, repo.gitdir, commits[2]!, goodAt(commits[0]!));
    await checkHistoryForward(ctx, repo.gitdir, commits[1]!, goodAt(commits[1]!));
    await checkHistoryForward(ctx, repo.gitdir, commits[0]!, defaultHostState());
  });

  it("rejects a rewind to an older commit, saying it is not a descendant and how to allow it", async () => {
    const err = (await checkHistoryForward(context({ mode: "enforce" }), repo.gitdir, commits[0]!, goodAt(commits[2]!)).catch(
      (e: unknown) => e,
    )) as HistoryRewoundError;
    expect(err).toBeInstanceOf(HistoryRewoundError);
    expect(err.code).toBe("GITDOCK_E_HISTORY_REWOUND");
    expect(err.handling).toBe("reject");
    expect(err.message).toBe(
      `commit ${commits[0]!.slice(0, 12)} is not a descendant of the last good commit ${commits[2]!.slice(0, 12)}: the branch was rewound or replaced; with verify.mode enforce gitdock only moves forward in signed history`,
    );
    expect(err.hint).toContain(`gitdock retry --allow-rewind ${commits[0]}`);
    expect(err.hint).toContain("security.verify.allow_rewind: true");
    expect(err.data).toMatchObject({ proof: "not-descendant" });
  });

  it("rejects a commit of an unrelated history", async () => {
    await expect(checkHistoryForward(context({ mode: "enforce" }), repo.gitdir, unrelated, goodAt(commits[2]!))).rejects.toBeInstanceOf(HistoryRewoundError);
  });

  it("lets a rewind through once when retry --allow-rewind asked for that commit, and only that one", async () => {
    const state = allowRewindTo(goodAt(commits[2]!), commits[0]!);
    await checkHistoryForward(context({ mode: "enforce" }), repo.gitdir, commits[0]!, state);
    await expect(checkHistoryForward(context({ mode: "enforce" }), repo.gitdir, unrelated, state)).rejects.toBeInstanceOf(HistoryRewoundError);
  });

  it("rejects a target whose history a shallow local repository does not hold, saying it could not be proven", async () => {
    // A local clone at depth 1: the target's parents are not there, and a local path is not deepened.
    const shallow = path.join(kit.dir, "shallow");
    await exec("git", ["clone", "-q", "--bare", "--depth", "1", `file://${path.dirname(repo.gitdir)}`, shallow]);
    const err = (await checkHistoryForward(context({ mode: "enforce" }), shallow, commits[2]!, goodAt(commits[0]!)).catch(
      (e: unknown) => e,
    )) as HistoryRewoundError;
    expect(err).toBeInstanceOf(HistoryRewoundError);
    expect(err.message).toMatch(
      new RegExp(
        `^commit ${commits[2]!.slice(0, 12)} could not be proven a descendant of the last good commit ${commits[0]!.slice(0, 12)} within 1000 commits of its history`,
      ),
    );
    expect(err.data).toMatchObject({ proof: "unproven", limit: 1000 });
  });

  it.each([
    ["verify.allow_rewind: true", { mode: "enforce" as const, allow_rewind: true }],
    ["warn mode", { mode: "warn" as const }],
    ["off mode", { mode: "off" as const }],
  ])("does not check with %s", async (_name, verify) => {
    await checkHistoryForward(context(verify), repo.gitdir, commits[0]!, goodAt(commits[2]!));
    await checkHistoryForward(context(verify), repo.gitdir, unrelated, goodAt(commits[2]!));
  });
});
