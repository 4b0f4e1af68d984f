import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitdockError, StateError } from "../../src/errors.js";
import { readJsonFile, removeStaleTempFiles, writeFileAtomic, writeFileExclusive } from "../../src/state/atomic-file.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitdock-atomic-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("writeFileAtomic", () => {
  it("writes the content with mode 0600 by default, or the mode asked for", async () => {
    const a = join(dir, "a.json");
    await writeFileAtomic(a, "hello");
    expect(await readFile(a, "utf8")).toBe("hello");
    expect((await stat(a)).mode & 0o777).toBe(0o600);
    const b = join(dir, "b.bin");
    await writeFileAtomic(b, Buffer.from([1, 2, 3]), { mode: 0o640 });
    expect([...(await readFile(b))]).toEqual([1, 2, 3]);
    expect((await stat(b)).mode & 0o777).toBe(0o640);
  });

  it("replaces an existing file", async () => {
    const f = join(dir, "f");
    await writeFile(f, "old content that is longer");
    await writeFileAtomic(f, "new");
    expect(await readFile(f, "utf8")).toBe("new");
  });

  it("concurrent writers and readers: every read sees one whole version, no temp files remain", async () => {
    const f = join(dir, "state.json");
    const versions = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(50_000 + i * 997) }));
    await writeFileAtomic(f, versions[0]!);
    const reads: string[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) reads.push(await readFile(f, "utf8"));
    })();
    await Promise.all(versions.map((v) => writeFileAtomic(f, v)));
    writing = false;
    await reader;
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(versions).toContain(r);
    expect(versions).toContain(await readFile(f, "utf8"));
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("fails with a StateError when the directory is missing, leaving nothing behind", async () => {
    const err = await writeFileAtomic(join(dir, "nope", "f"), "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as GitdockError).code).toBe("GITDOCK_E_STATE");
    expect((err as Error).message).toContain(join(dir, "nope", "f"));
  });
});

describe("writeFileExclusive", () => {
  it("creates once and never replaces", async () => {
    const f = join(dir, "key");
    const results = await Promise.all(["a", "b", "c", "d"].map((v) => writeFileExclusive(f, v)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = ["a", "b", "c", "d"][results.indexOf(true)];
    expect(await readFile(f, "utf8")).toBe(winner);
    expect(await readdir(dir)).toEqual(["key"]);
  });
});

describe("readJsonFile", () => {
  it("is undefined for a missing file and parses a present one", async () => {
    expect(await readJsonFile(join(dir, "missing.json"))).toBeUndefined();
    await writeFile(join(dir, "x.json"), '{"a":[1,2]}');
    expect(await readJsonFile(join(dir, "x.json"))).toEqual({ a: [1, 2] });
  });

  it("names the file and says what to do when it is corrupt", async () => {
    const f = join(dir, "bad.json");
    await writeFile(f, '{"a": 1');
    const err = (await readJsonFile(f).catch((e: unknown) => e)) as StateError;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toContain(f);
    expect(err.hint).toMatch(/move it aside/);
    const custom = (await readJsonFile(f, { hint: "do this" }).catch((e: unknown) => e)) as StateError;
    expect(custom.hint).toBe("do this");
  });
});

describe("removeStaleTempFiles", () => {
  it("removes temp files of dead processes only", async () => {
    const dead = await deadPid();
    const mine = `.state.json.${process.pid}.aaaaaaaaaaaa.tmp`;
    const stale = `.state.json.${dead}.bbbbbbbbbbbb.tmp`;
    await Promise.all([mine, stale, "state.json", ".other"].map((n) => writeFile(join(dir, n), "")));
    expect(await removeStaleTempFiles(dir)).toEqual([stale]);
    expect((await readdir(dir)).sort()).toEqual([".other", mine, "state.json"].sort());
  });
});
