import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { loadHostKey } from "../../src/state/host-key.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitdock-key-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadHostKey", () => {
  it("creates a 32-byte key with mode 0600 once and returns the same key afterwards", async () => {
    const key = await loadHostKey(dir);
    expect(key).toHaveLength(32);
    const file = join(dir, "host.key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file)).toEqual(key);
    expect(await loadHostKey(dir)).toEqual(key);
  });

  it("concurrent first uses agree on one key and leave no temp files", async () => {
    const keys = await Promise.all(Array.from({ length: 10 }, () => loadHostKey(dir)));
    for (const k of keys) expect(k).toEqual(keys[0]);
    expect(await readdir(dir)).toEqual(["host.key"]);
  });

  it("different state directories get different keys", async () => {
    expect(await loadHostKey(join(dir, "a"))).not.toEqual(await loadHostKey(join(dir, "b")));
  });

  it("a key of the wrong length is a StateError that says what to do", async () => {
    await writeFile(join(dir, "host.key"), "short");
    const err = (await loadHostKey(dir).catch((e: unknown) => e)) as StateError;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/host\.key is corrupt: it holds 5 bytes/);
    expect(err.hint).toMatch(/gitdock state rebuild/);
    expect(err.hint).toMatch(/only containers that use secrets or env files are recreated/);
  });
});
