/**
 * The clone's repack on a real repository: commits made with `git`, packed one pack per commit
 * the way isomorphic-git's shallow fetches leave them, then read with isomorphic-git before and
 * after.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import git from "isomorphic-git";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLooseObjects, readPackNames } from "../../src/source/clone-packs.js";
import { readCommitTree } from "../../src/source/read-commit-tree.js";
import { repackClone, type RepackStep } from "../../src/source/repack-clone.js";

const run = promisify(execFile);
const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t.invalid",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t.invalid",
};
const sh = async (cwd: string, args: string[], input?: string): Promise<string> => {
  const child = run("git", args, { cwd, env: gitEnv, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
};

let dir: string;
let work: string;
let gitdir: string;
/** c[1] … c[COMMITS], oldest first (c[0] unused). */
let c: string[];
const COMMITS = 12;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitdock-repack-"));
  work = join(dir, "work");
  gitdir = join(dir, "clone.git");
  await sh(dir, ["init", "-q", "--initial-branch=main", work]);
  await sh(dir, ["init", "-q", "--bare", gitdir]);
  c = [""];
  for (let i = 1; i <= COMMITS; i++) {
    // A host's directory and other hosts' files; some commits touch one, some the other.
    await fs.promises.mkdir(join(work, "hosts", "h1", "shop"), { recursive: true });
    await fs.promises.mkdir(join(work, "hosts", "h2"), { recursive: true });
    await writeFile(join(work, "hosts", "h1", "shop", "compose.yaml"), `name: shop\n# release ${Math.ceil(i / 2)}\n`);
    await writeFile(join(work, "hosts", "h2", `notes-${i % 3}.txt`), `note ${i}\n`);
    await sh(work, ["add", "-A"]);
    await sh(work, ["commit", "-q", "--allow-empty", "-m", `commit ${i}`]);
    c.push((await sh(work, ["rev-parse", "HEAD"])).trim());
    // One pack per commit, holding what that commit added: what a depth-1 fetch leaves behind.
    const revs = i === 1 ? `${c[i]}\n` : `${c[i]}\n^${c[i - 1]}\n`;
    await sh(work, ["pack-objects", "-q", "--revs", join(gitdir, "objects", "pack", "pack")], revs);
  }
  await writeFile(join(gitdir, "refs", "heads", "main"), `${c[COMMITS]}\n`);
}, 60_000); // dozens of git processes: slow on a busy machine

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The whole tree of a commit as path → content, read through isomorphic-git. */
async function contentOf(commit: string): Promise<Record<string, string>> {
  const tree = await readCommitTree(gitdir, commit, "");
  return Object.fromEntries([...tree.files].map(([p, b]) => [p, Buffer.from(b).toString("utf8")]));
}

async function readable(commit: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid: commit });
    return true;
  } catch {
    return false;
  }
}

const spec = (over: Partial<Parameters<typeof repackClone>[1]> = {}) => ({
  tips: [c[COMMITS]!],
  pinned: [] as string[],
  window: 5,
  reachLimit: 1000,
  ...over,
});

// Each test runs git and repacks several times: slow on a busy machine, never asserted on.
describe("repackClone", { timeout: 60_000 }, () => {
  it("does nothing while the clone holds few packs", async () => {
    expect(await readPackNames(gitdir)).toHaveLength(COMMITS);
    expect(await repackClone(gitdir, spec(), { maxPacks: COMMITS })).toEqual({ repacked: false, packsBefore: COMMITS });
    expect(await readPackNames(gitdir)).toHaveLength(COMMITS);
  });

  it("keeps every object of the recent and the pinned commits, in one pack, and drops the rest", async () => {
    const before: Record<string, Record<string, string>> = {};
    for (let i = 1; i <= COMMITS; i++) before[c[i]!] = await contentOf(c[i]!);

    const result = await repackClone(gitdir, spec({ pinned: [c[2]!] }), { maxPacks: 8 });
    expect(result).toMatchObject({ repacked: true, packsBefore: COMMITS, commits: 6, removedPacks: COMMITS });

    expect(await readPackNames(gitdir)).toHaveLength(1);
    expect(await readLooseObjects(gitdir)).toEqual([]);
    // The last five commits and the pinned one, each with its whole tree, byte for byte.
    for (const i of [2, 8, 9, 10, 11, 12]) expect(await contentOf(c[i]!), `commit ${i}`).toEqual(before[c[i]!]);
    for (const i of [1, 3, 4, 5, 6, 7]) expect(await readable(c[i]!), `commit ${i}`).toBe(false);
    // The kept commits whose parents went are the new shallow boundary, for the next fetch.
    expect((await readFile(join(gitdir, "shallow"), "utf8")).trim().split("\n").sort()).toEqual([c[2], c[8]].sort());
    // The history walk from the head still links the kept window together.
    const log = await git.log({ fs, gitdir, ref: "refs/heads/main" });
    expect(log.map((e) => e.oid)).toEqual([c[12], c[11], c[10], c[9], c[8]]);
    // Real git agrees the repository is whole: nothing a kept commit names is missing.
    await expect(sh(gitdir, ["fsck", "--no-dangling", "--connectivity-only"])).resolves.toBeDefined();
  });

  it("goes on past the window until it reaches the last good commit", async () => {
    await repackClone(gitdir, spec({ window: 3, reach: c[6] }), { maxPacks: 8 });
    for (let i = 6; i <= COMMITS; i++) expect(await readable(c[i]!), `commit ${i}`).toBe(true);
    expect(await readable(c[5]!)).toBe(false);
  });

  it("bounds the pack count through many fetches", async () => {
    // Fetch after fetch (a pack each), repacking as the poll does: never more than maxPacks + 1.
    let tip = c[COMMITS]!;
    for (let i = 1; i <= 30; i++) {
      await writeFile(join(work, "hosts", "h1", "shop", "compose.yaml"), `name: shop\n# later ${i}\n`);
      await sh(work, ["commit", "-q", "-am", `later ${i}`]);
      const next = (await sh(work, ["rev-parse", "HEAD"])).trim();
      await sh(work, ["pack-objects", "-q", "--revs", join(gitdir, "objects", "pack", "pack")], `${next}\n^${tip}\n`);
      tip = next;
      await repackClone(gitdir, spec({ tips: [tip] }), { maxPacks: 8 });
      expect((await readPackNames(gitdir)).length).toBeLessThanOrEqual(9);
    }
    expect(await contentOf(tip)).toEqual({
      "hosts/h1/shop/compose.yaml": "name: shop\n# later 30\n",
      "hosts/h2/notes-0.txt": "note 12\n",
      "hosts/h2/notes-1.txt": "note 10\n",
      "hosts/h2/notes-2.txt": "note 11\n",
    });
  });

  it.each<RepackStep>(["pack-written", "shallow-written"])("a repack killed at %s leaves every commit readable, and the next one finishes", async (at) => {
    const before: Record<string, Record<string, string>> = {};
    for (let i = 1; i <= COMMITS; i++) before[c[i]!] = await contentOf(c[i]!);
    const crash = (step: RepackStep) => {
      if (step === at) throw new Error(`killed at ${step}`);
    };
    await expect(repackClone(gitdir, spec(), { maxPacks: 8, onStep: crash })).rejects.toThrow(`killed at ${at}`);
    // Nothing was removed yet: the new pack sits beside the old ones, every commit reads as before.
    expect(await readPackNames(gitdir)).toHaveLength(COMMITS + 1);
    for (let i = 1; i <= COMMITS; i++) expect(await contentOf(c[i]!), `commit ${i}`).toEqual(before[c[i]!]);

    await repackClone(gitdir, spec(), { maxPacks: 8 });
    expect(await readPackNames(gitdir)).toHaveLength(1);
    for (let i = 8; i <= COMMITS; i++) expect(await contentOf(c[i]!), `commit ${i}`).toEqual(before[c[i]!]);
  });

  it("removes a killed repack's temporary directory and a pack whose index never arrived", async () => {
    const packDir = join(gitdir, "objects", "pack");
    await fs.promises.mkdir(join(packDir, ".gitdock-repack-999999-abcdef"));
    await writeFile(join(packDir, ".gitdock-repack-999999-abcdef", "pack-1.pack"), "half");
    const orphan = join(packDir, `pack-${"ab".repeat(20)}.pack`);
    await writeFile(orphan, "PACK without its index");
    const old = new Date(Date.now() - 2 * 60 * 60_000);
    await utimes(orphan, old, old);
    await repackClone(gitdir, spec(), { maxPacks: 8 });
    expect((await readdir(packDir)).filter((n) => !/^pack-[0-9a-f]{40}\.(pack|idx)$/.test(n) || n === `pack-${"ab".repeat(20)}.pack`)).toEqual([]);
  });

  it("refuses to repack a clone that lacks an object a kept commit needs, and removes nothing", async () => {
    // A last pack without one of its blobs: the head's tree names an object that is not here.
    await writeFile(join(work, "hosts", "h1", "shop", "compose.yaml"), "name: shop\n# incomplete\n");
    await sh(work, ["commit", "-q", "-am", "incomplete"]);
    const head = (await sh(work, ["rev-parse", "HEAD"])).trim();
    const objects = (await sh(work, ["rev-list", "--objects", head, `^${c[COMMITS]}`]))
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[0]!);
    const blob = (await sh(work, ["rev-parse", `${head}:hosts/h1/shop/compose.yaml`])).trim();
    await sh(work, ["pack-objects", "-q", join(gitdir, "objects", "pack", "pack")], `${objects.filter((o) => o !== blob).join("\n")}\n`);
    const packs = await readPackNames(gitdir);

    await expect(repackClone(gitdir, spec({ tips: [head] }), { maxPacks: 8 })).rejects.toThrow(blob);
    expect(await readPackNames(gitdir)).toEqual(packs);
    for (let i = 1; i <= COMMITS; i++) expect(await readable(c[i]!)).toBe(true);
    expect((await stat(join(gitdir, "objects", "pack"))).isDirectory()).toBe(true);
  });
});
