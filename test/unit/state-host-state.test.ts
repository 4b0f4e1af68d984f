import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import {
  allowRewindTo,
  beginRollout,
  clearFailure,
  clearHalted,
  defaultHostState,
  endRollout,
  GOOD_HISTORY_LIMIT,
  isBlocked,
  markApplied,
  markFailed,
  markGood,
  markHalted,
  markRejected,
  MARKS_LIMIT,
  StateStore,
  type HostState,
} from "../../src/state/host-state.js";

const T = "2026-11-22T14:00:00.000Z";

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function state(patch: Partial<HostState> = {}): HostState {
  return deepFreeze({ ...defaultHostState(), ...patch });
}

const mark = (commit: string, reason = "r") => ({ commit, at: T, reason });

describe("pure helpers", () => {
  it("markGood ends the rebuilt note: status says the state was rebuilt only until the next good commit", () => {
    const rebuilt = { ...state(), rebuilt: { at: T, commit: "c1", from: "container labels" } };
    expect(markGood(rebuilt, "c2", T)).not.toHaveProperty("rebuilt");
    expect(markGood(rebuilt, "c2", T).lastGood).toEqual({ commit: "c2", at: T });
  });

  const cases: { name: string; before: HostState; run: (s: HostState) => HostState; expected: Partial<HostState> }[] = [
    {
      name: "markApplied records the commit and time",
      before: state(),
      run: (s) => markApplied(s, "c1", T),
      expected: { lastApplied: { commit: "c1", at: T } },
    },
    {
      name: "markGood sets lastGood and puts the commit first in the history",
      before: state({ goodHistory: ["c1"] }),
      run: (s) => markGood(s, "c2", T),
      expected: { lastGood: { commit: "c2", at: T }, goodHistory: ["c2", "c1"] },
    },
    {
      name: "markGood moves a commit already in the history to the front without duplicating it",
      before: state({ goodHistory: ["c3", "c2", "c1"] }),
      run: (s) => markGood(s, "c2", T),
      expected: { lastGood: { commit: "c2", at: T }, goodHistory: ["c2", "c3", "c1"] },
    },
    {
      name: "markGood keeps at most GOOD_HISTORY_LIMIT commits",
      before: state({ goodHistory: Array.from({ length: GOOD_HISTORY_LIMIT }, (_, i) => `old${i}`) }),
      run: (s) => markGood(s, "new", T),
      expected: {
        lastGood: { commit: "new", at: T },
        goodHistory: ["new", ...Array.from({ length: GOOD_HISTORY_LIMIT - 1 }, (_, i) => `old${i}`)],
      },
    },
    {
      name: "markGood clears a failure mark and a pending retry for the commit",
      before: state({ failed: { c1: mark("c1") }, retryRequested: ["c1"] }),
      run: (s) => markGood(s, "c1", T),
      expected: { lastGood: { commit: "c1", at: T }, goodHistory: ["c1"], failed: {}, retryRequested: [] },
    },
    {
      name: "markFailed records the reason and uses up a retry request",
      before: state({ retryRequested: ["c1", "c2"] }),
      run: (s) => markFailed(s, "c1", "health: web-1 http 500", T),
      expected: { failed: { c1: mark("c1", "health: web-1 http 500") }, retryRequested: ["c2"] },
    },
    {
      name: "markFailed replaces an older mark for the same commit",
      before: state({ failed: { c1: mark("c1", "old") } }),
      run: (s) => markFailed(s, "c1", "new", T),
      expected: { failed: { c1: mark("c1", "new") } },
    },
    {
      name: "markRejected records the reason",
      before: state(),
      run: (s) => markRejected(s, "c1", "invalid manifest", T),
      expected: { rejected: { c1: mark("c1", "invalid manifest") } },
    },
    {
      name: "clearFailure removes failed and rejected marks and asks for a retry",
      before: state({ failed: { c1: mark("c1"), c2: mark("c2") }, rejected: { c1: mark("c1") } }),
      run: (s) => clearFailure(s, "c1"),
      expected: { failed: { c2: mark("c2") }, rejected: {}, retryRequested: ["c1"] },
    },
    {
      name: "clearFailure twice asks once",
      before: state({ failed: { c1: mark("c1") } }),
      run: (s) => clearFailure(clearFailure(s, "c1"), "c1"),
      expected: { failed: {}, retryRequested: ["c1"] },
    },
    {
      name: "allowRewindTo clears the rejection, asks for a retry and allows the rewind once",
      before: state({ rejected: { c1: mark("c1", "not a descendant") } }),
      run: (s) => allowRewindTo(allowRewindTo(s, "c1"), "c1"),
      expected: { rejected: {}, retryRequested: ["c1"], allowRewind: ["c1"] },
    },
    {
      name: "allowRewindTo a commit that is not marked yet",
      before: state(),
      run: (s) => allowRewindTo(s, "c1"),
      expected: { retryRequested: ["c1"], allowRewind: ["c1"] },
    },
    {
      name: "markGood uses up the allowed rewind of that commit only",
      before: state({ allowRewind: ["c1", "c2"], retryRequested: ["c1"] }),
      run: (s) => markGood(s, "c1", T),
      expected: { lastGood: { commit: "c1", at: T }, goodHistory: ["c1"], allowRewind: ["c2"], retryRequested: [] },
    },
    {
      name: "markFailed uses up the allowed rewind",
      before: state({ allowRewind: ["c1"] }),
      run: (s) => markFailed(s, "c1", "gate", T),
      expected: { failed: { c1: mark("c1", "gate") }, allowRewind: [] },
    },
    {
      name: "markRejected (for another reason) uses up the allowed rewind",
      before: state({ allowRewind: ["c1"] }),
      run: (s) => markRejected(s, "c1", "policy", T),
      expected: { rejected: { c1: mark("c1", "policy") }, allowRewind: [] },
    },
    {
      name: "markHalted records the last good commit and why",
      before: state({ lastGood: { commit: "c1", at: T } }),
      run: (s) => markHalted(s, "c1", "policy", T),
      expected: { halted: mark("c1", "policy") },
    },
    {
      name: "clearHalted ends a halt",
      before: state({ halted: mark("c1", "policy") }),
      run: (s) => clearHalted(s),
      expected: { halted: undefined },
    },
    {
      name: "beginRollout and endRollout set and clear the marker",
      before: state(),
      run: (s) => endRollout(beginRollout(s, { commit: "c2", previousCommit: "c1", startedAt: T, stacks: ["web"] })),
      expected: { rollout: undefined },
    },
    {
      name: "beginRollout sets the marker",
      before: state(),
      run: (s) => beginRollout(s, { commit: "c2", previousCommit: undefined, startedAt: T, stacks: ["web", "db"] }),
      expected: { rollout: { commit: "c2", previousCommit: undefined, startedAt: T, stacks: ["web", "db"] } },
    },
  ];

  it.each(cases)("$name", ({ before, run, expected }) => {
    const snapshot = structuredClone(before);
    const after = run(before); // `before` is frozen: a mutation would throw
    expect(after).toEqual({ ...before, ...expected });
    expect(before).toEqual(snapshot);
  });

  const blocked: { name: string; s: HostState; commit: string; expected: string | undefined }[] = [
    { name: "a clean commit", s: state(), commit: "c1", expected: undefined },
    { name: "a failed commit", s: state({ failed: { c1: mark("c1", "gate") } }), commit: "c1", expected: "gate" },
    { name: "a rejected commit", s: state({ rejected: { c1: mark("c1", "policy") } }), commit: "c1", expected: "policy" },
    { name: "another commit's mark", s: state({ failed: { c2: mark("c2") } }), commit: "c1", expected: undefined },
    { name: "a failed commit with a retry request", s: state({ failed: { c1: mark("c1") }, retryRequested: ["c1"] }), commit: "c1", expected: undefined },
    { name: "after clearFailure", s: clearFailure(state({ failed: { c1: mark("c1") } }), "c1"), commit: "c1", expected: undefined },
    {
      name: "failed again after a retry",
      s: markFailed(clearFailure(state({ failed: { c1: mark("c1") } }), "c1"), "c1", "again", T),
      commit: "c1",
      expected: "again",
    },
    { name: "a commit named like an Object.prototype member", s: state(), commit: "constructor", expected: undefined },
  ];

  it.each(blocked)("isBlocked: $name", ({ s, commit, expected }) => {
    expect(isBlocked(s, commit)?.reason).toBe(expected);
  });

  it.each([
    ["failed", markFailed],
    ["rejected", markRejected],
  ] as const)("keeps at most MARKS_LIMIT %s marks, dropping the oldest", (key, markFn) => {
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    let s = state();
    for (let i = 1; i <= MARKS_LIMIT + 50; i++) s = markFn(s, `c${i}`, `reason ${i}`, at(i));
    const marks = s[key];
    expect(Object.keys(marks)).toHaveLength(MARKS_LIMIT);
    expect(marks.c50).toBeUndefined();
    expect(marks.c51).toEqual({ commit: "c51", at: at(51), reason: "reason 51" });
    expect(marks[`c${MARKS_LIMIT + 50}`]?.reason).toBe(`reason ${MARKS_LIMIT + 50}`);
    // Marking an old commit again renews it: it is kept, and the oldest other one goes.
    s = markFn(s, "c51", "again", at(1000));
    expect(Object.keys(s[key])).toHaveLength(MARKS_LIMIT);
    expect(s[key].c51?.reason).toBe("again");
    s = markFn(s, "c999", "new", at(1001));
    expect(s[key].c52).toBeUndefined();
    expect(s[key].c51?.reason).toBe("again");
  });
});

describe("StateStore", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "gitdock-state-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates the directory with mode 0700 and reads defaults when there is no file", async () => {
    const dir = join(root, "nested", "state");
    const store = await StateStore.open(dir);
    expect(store.dir).toBe(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await store.read()).toEqual(defaultHostState());
  });

  it("round-trips through state.json (mode 0600)", async () => {
    const store = await StateStore.open(root);
    const written = await store.update((s) =>
      beginRollout(markFailed(markGood(markApplied(s, "c1", T), "c1", T), "c2", "gate failed", T), {
        commit: "c3",
        previousCommit: "c1",
        startedAt: T,
        stacks: ["web"],
      }),
    );
    const reopened = await StateStore.open(root);
    expect(await reopened.read()).toEqual(written);
    expect(written.lastGood).toEqual({ commit: "c1", at: T });
    expect(written.failed.c2?.reason).toBe("gate failed");
    expect((await stat(join(root, "state.json"))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(root, "state.json"), "utf8")).version).toBe(1);
  });

  it("update may change the copy in place and return nothing", async () => {
    const store = await StateStore.open(root);
    await store.update((s) => {
      s.retryRequested.push("c9");
    });
    expect((await store.read()).retryRequested).toEqual(["c9"]);
  });

  it("a throwing update writes nothing", async () => {
    const store = await StateStore.open(root);
    await store.update((s) => markApplied(s, "c1", T));
    await expect(
      store.update(() => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await store.read()).lastApplied?.commit).toBe("c1");
  });

  it("many concurrent updates (two stores on one dir) lose nothing and leave no temp files", async () => {
    const a = await StateStore.open(root);
    const b = await StateStore.open(root);
    const n = 60;
    const reads: Promise<HostState>[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) => {
        reads.push((i % 2 ? a : b).read()); // reads while writes are going on never see a half file
        return (i % 2 ? a : b).update((s) => markFailed(s, `c${i}`, `reason ${i}`, T));
      }),
    );
    await Promise.all(reads);
    const final = await a.read();
    expect(Object.keys(final.failed)).toHaveLength(n);
    expect(await readdir(root)).toEqual(["state.json"]);
  });

  it("round-trips the halt and the allowed rewinds", async () => {
    const store = await StateStore.open(root);
    const written = await store.update((s) => markHalted(allowRewindTo(s, "c2"), "c1", "the last good commit no longer passes", T));
    expect(await (await StateStore.open(root)).read()).toEqual(written);
    expect(written).toMatchObject({ halted: mark("c1", "the last good commit no longer passes"), allowRewind: ["c2"] });
  });

  it("fills fields missing from an older file with defaults", async () => {
    await writeFile(join(root, "state.json"), JSON.stringify({ version: 1, lastGood: { commit: "c1", at: T } }));
    const s = await (await StateStore.open(root)).read();
    expect(s).toEqual({ ...defaultHostState(), lastGood: { commit: "c1", at: T } });
  });

  it.each([
    ["not JSON", "{", /state\.json is corrupt/],
    ["a wrong shape", JSON.stringify({ version: 1, failed: { c1: { commit: "c1" } } }), /failed\.c1\.at should be a string/],
    ["another version", JSON.stringify({ version: 2 }), /version 2/],
  ])("a state file with %s is a StateError naming the file", async (_name, text, message) => {
    await writeFile(join(root, "state.json"), text);
    const err = (await (await StateStore.open(root)).read().catch((e: unknown) => e)) as StateError;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(message);
    expect(err.message).toContain("state.json");
    expect(err.hint).toBeTruthy();
  });

  it("refuses a state directory that is a file", async () => {
    await writeFile(join(root, "file"), "");
    await expect(StateStore.open(join(root, "file"))).rejects.toBeInstanceOf(StateError);
  });
});

describe("StateStore.update", () => {
  it("refuses to write a state that is not valid, leaving the file as it was", async () => {
    const root = await mkdtemp(join(tmpdir(), "gitdock-state-"));
    try {
      const store = await StateStore.open(root);
      await store.update((s) => markApplied(s, "c1", T));
      const err = await store.update((s) => ({ ...s, goodHistory: [42] as unknown as string[] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateError);
      expect((err as Error).message).toMatch(/refusing to write an invalid host state/);
      expect((await store.read()).lastApplied?.commit).toBe("c1");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
