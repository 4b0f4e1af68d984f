import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { ensureStateDir } from "../../src/state/state-dir.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "gitdock-state-dir-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe("ensureStateDir", () => {
  it("creates a missing directory (and its parents) with mode 0700 and returns its absolute path", async () => {
    const dir = join(root, "a", "state");
    expect(await ensureStateDir(dir)).toBe(dir);
    expect(await modeOf(dir)).toBe(0o700);
  });

  it("makes a directory that already exists with mode 0755 mode 0700, keeping its files", async () => {
    const dir = join(root, "state");
    await mkdir(dir);
    await chmod(dir, 0o755);
    await writeFile(join(dir, "state.json"), "{}");
    expect(await modeOf(dir)).toBe(0o755);
    await ensureStateDir(dir);
    expect(await modeOf(dir)).toBe(0o700);
    expect((await stat(join(dir, "state.json"))).isFile()).toBe(true);
  });

  it("narrows any wider mode, and leaves the parent directories alone", async () => {
    const parent = join(root, "shared");
    const dir = join(parent, "state");
    await mkdir(dir, { recursive: true });
    await chmod(parent, 0o755);
    await chmod(dir, 0o777);
    await ensureStateDir(dir);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(parent)).toBe(0o755);
  });

  it("refuses a path that is not a directory, naming it", async () => {
    const file = join(root, "file");
    await writeFile(file, "");
    const err = await ensureStateDir(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe("GITDOCK_E_STATE");
    expect((err as StateError).message).toContain(file);
  });
});
