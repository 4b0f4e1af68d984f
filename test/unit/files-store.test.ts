import { createHash } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FILES_LEDGER, materializeStore } from "../../src/files/index.js";
import { storeDirOf } from "../../src/manifest/index.js";
import { objectsToRemove, pruneStore } from "../../src/files/clean-up-store.js";
import { fileObjectName, treeObjectName } from "../../src/manifest/files/store-layout.js";
import type { StoredFile, StoreObject } from "../../src/model.js";

let stateDir: string;
let store: string;

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), "gdt-files-store-"));
  store = storeDirOf(stateDir);
});
afterEach(async () => rm(stateDir, { recursive: true, force: true }));

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const stored = (text: string, mode = 0o444, owner: { uid?: number; gid?: number } = {}): StoredFile => ({
  content: Buffer.from(text),
  mode,
  uid: owner.uid,
  gid: owner.gid,
});
const fileObject = (file: StoredFile): StoreObject => ({ kind: "file", store, name: fileObjectName(file), file });
const treeObject = (files: { path: string; file: StoredFile }[], dirs: string[]): StoreObject => ({
  kind: "tree",
  store,
  name: treeObjectName(files, dirs),
  files,
  dirs,
});
const modeOf = async (p: string) => (await lstat(p)).mode & 0o7777;

describe("the store's names", () => {
  it("name a file by its content's digest, with a mode or owner other than the default after it", () => {
    expect(fileObjectName(stored("a"))).toBe(`sha256/${sha("a")}`);
    expect(fileObjectName(stored("a", 0o555))).toBe(`sha256/${sha("a")}.0555`);
    expect(fileObjectName(stored("a", 0o440, { uid: 101, gid: 101 }))).toBe(`sha256/${sha("a")}.0440.101.101`);
    expect(fileObjectName(stored("a", 0o444, { gid: 5 }))).toBe(`sha256/${sha("a")}.0444.-.5`);
  });

  it("name a directory by its listing: paths, modes and contents, whatever their order", () => {
    const a = [
      { path: "x.conf", file: stored("x") },
      { path: "sub/y.conf", file: stored("y") },
    ];
    expect(treeObjectName(a, ["sub"])).toBe(treeObjectName([...a].reverse(), ["sub"]));
    expect(treeObjectName(a, ["sub"])).not.toBe(treeObjectName([a[0]!, { path: "sub/y.conf", file: stored("y2") }], ["sub"]));
    expect(treeObjectName(a, ["sub"])).not.toBe(treeObjectName([a[0]!, { path: "sub/y.conf", file: stored("y", 0o555) }], ["sub"]));
    expect(treeObjectName(a, ["sub"])).not.toBe(treeObjectName([a[0]!, { path: "sub/z.conf", file: stored("y") }], ["sub"]));
  });
});

describe("materializing the store", () => {
  it("writes each file once, read-only, with the mode and owner its name says", async () => {
    const plain = fileObject(stored("server {}\n"));
    const script = fileObject(stored("#!/bin/sh\n", 0o555));
    const owned = fileObject(stored("events {}\n", 0o440, { uid: 101, gid: 102 }));
    await materializeStore([plain, script, owned, plain]);
    expect(await readFile(path.join(store, plain.name), "utf8")).toBe("server {}\n");
    expect(await modeOf(path.join(store, plain.name))).toBe(0o444);
    expect(await modeOf(path.join(store, script.name))).toBe(0o555);
    const info = await lstat(path.join(store, owned.name));
    expect([info.mode & 0o7777, info.uid, info.gid]).toEqual([0o440, 101, 102]);
    expect(await modeOf(store)).toBe(0o700);
    expect(await readdir(path.join(store, "tmp"))).toEqual([]);
  });

  it("leaves an intact object alone and puts back one that was changed", async () => {
    const obj = fileObject(stored("v1"));
    const file = path.join(store, obj.name);
    await materializeStore([obj]);
    const before = await lstat(file);
    await materializeStore([obj]);
    expect((await lstat(file)).ino).toBe(before.ino);
    await chmod(file, 0o644);
    await writeFile(file, "tampered");
    await materializeStore([obj]);
    expect(await readFile(file, "utf8")).toBe("v1");
    expect(await modeOf(file)).toBe(0o444);
  });

  it("builds a directory whole: files and subdirectories read-only, renamed into place", async () => {
    const tree = treeObject(
      [
        { path: "default.conf", file: stored("a") },
        { path: "snippets/gzip.conf", file: stored("b", 0o555) },
      ],
      ["snippets", "empty"],
    );
    await materializeStore([tree]);
    const dir = path.join(store, tree.name);
    expect(await readFile(path.join(dir, "snippets/gzip.conf"), "utf8")).toBe("b");
    expect([await modeOf(dir), await modeOf(path.join(dir, "snippets")), await modeOf(path.join(dir, "empty"))]).toEqual([0o555, 0o555, 0o555]);
    expect([await modeOf(path.join(dir, "default.conf")), await modeOf(path.join(dir, "snippets/gzip.conf"))]).toEqual([0o444, 0o555]);
    await materializeStore([tree]);
    expect((await readdir(dir)).sort()).toEqual(["default.conf", "empty", "snippets"]);
  });

  it("refuses a directory entry that would climb out of it", async () => {
    const bad: StoreObject = { kind: "tree", store, name: "trees/bad", files: [{ path: "../escape", file: stored("x") }], dirs: [] };
    await expect(materializeStore([bad])).rejects.toMatchObject({ code: "GITDOCK_E_FILE_STORE" });
    await expect(lstat(path.join(store, "escape"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("cleaning the store after a healthy rollout", () => {
  it("keeps what the kept commits and the containers use (pure)", () => {
    const ledger = { byCommit: { c3: ["sha256/c"], c2: ["sha256/b", "trees/t"], c1: ["sha256/a"] } };
    expect(objectsToRemove(["sha256/a", "sha256/b", "sha256/c", "sha256/d", "sha256/e", "trees/t"], ledger, ["c3", "c2"], new Set(["sha256/e"]))).toEqual([
      "sha256/a",
      "sha256/d",
    ]);
  });

  it("keeps every file the good history and the current commit mount, and removes the rest", async () => {
    const [v1, v2, v3, failed] = ["v1", "v2", "v3", "bad"].map((t) => fileObject(stored(t)));
    const dir = treeObject([{ path: "a", file: stored("v1") }], []);
    // Each commit's files are made when it is planned; the cleanup runs after each healthy rollout.
    await materializeStore([v1!, dir]);
    await pruneStore({ stateDir, commit: "c1", objects: [v1!, dir], goodHistory: ["c1"], inUse: new Set() });
    await materializeStore([v2!]);
    await pruneStore({ stateDir, commit: "c2", objects: [v2!], goodHistory: ["c2", "c1"], inUse: new Set() });
    await materializeStore([failed!]); // a commit that failed its gate: never cleaned up after, never in the history
    await materializeStore([v3!]);
    // c1 fell out of the good history: its objects go, except one a container still mounts.
    const removed = await pruneStore({ stateDir, commit: "c3", objects: [v3!], goodHistory: ["c3", "c2"], inUse: new Set([v1!.name]) });
    expect(removed).toEqual([dir.name, failed!.name].sort());
    expect((await readdir(path.join(store, "sha256"))).sort()).toEqual([v1!.name, v2!.name, v3!.name].map((n) => n.slice("sha256/".length)).sort());
    expect(await readdir(path.join(store, "trees"))).toEqual([]);
    const ledger = JSON.parse(await readFile(path.join(stateDir, FILES_LEDGER), "utf8"));
    expect(ledger).toEqual({ byCommit: { c3: [v3!.name], c2: [v2!.name] } });
  });

  it("removes temporaries a killed gitdock left, not ones in the making", async () => {
    await materializeStore([fileObject(stored("x"))]);
    const old = path.join(store, "tmp", "123.abc");
    const fresh = path.join(store, "tmp", "456.def");
    await mkdir(old);
    await writeFile(fresh, "half");
    const longAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(old, longAgo, longAgo);
    await pruneStore({ stateDir, commit: "c1", objects: [], goodHistory: ["c1"], inUse: new Set() });
    expect(await readdir(path.join(store, "tmp"))).toEqual(["456.def"]);
  });

  it("writes nothing on a host that never stored a file", async () => {
    expect(await pruneStore({ stateDir, commit: "c1", objects: [], goodHistory: ["c1"], inUse: new Set() })).toEqual([]);
    expect(await readdir(stateDir)).toEqual([]);
  });
});
