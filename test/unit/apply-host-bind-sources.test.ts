/**
 * Bind sources checked on a real file system: a symlink anywhere below the allowed root refuses
 * the mount, a missing path is created one directory at a time and never through a symlink, and
 * the root itself may be reached through a symlink the host's root made (/var/run → /run).
 */
import { lstat, mkdir, mkdtemp, readlink, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkHostPath, guardBindSources } from "../../src/apply/host-bind-sources.js";
import { BindSourceRefusedError } from "../../src/errors.js";

let dir: string;
let root: string;
let outside: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "gdt-binds-"));
  root = path.join(dir, "srv");
  outside = path.join(dir, "etc");
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, "shadow"), "secret\n");
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe("bind sources on the host", () => {
  it("accepts a plain path below the root, existing or not", async () => {
    await mkdir(path.join(root, "app"));
    expect(await checkHostPath(path.join(root, "app"), [root], { create: false })).toEqual({ ok: true });
    expect(await checkHostPath(path.join(root, "missing/deeper"), [root], { create: false })).toEqual({ ok: true });
  });

  it("refuses a symlink at any depth below the root, planted to lead outside", async () => {
    await mkdir(path.join(root, "x"));
    await symlink(outside, path.join(root, "x", "root"));
    const verdict = await checkHostPath(path.join(root, "x/root/shadow"), [root], { create: false });
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining(`${path.join(root, "x", "root")} is a symbolic link`) });
    await symlink(path.join(outside, "shadow"), path.join(root, "leaf"));
    expect((await checkHostPath(path.join(root, "leaf"), [root], { create: false })).ok).toBe(false);
  });

  it("creates missing directories one by one, and never through a symlink", async () => {
    expect(await checkHostPath(path.join(root, "a/b/c"), [root], { create: true })).toEqual({ ok: true });
    expect((await lstat(path.join(root, "a/b/c"))).isDirectory()).toBe(true);
    await symlink(outside, path.join(root, "evil"));
    expect((await checkHostPath(path.join(root, "evil/newdir"), [root], { create: true })).ok).toBe(false);
    await expect(lstat(path.join(outside, "newdir"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readlink(path.join(root, "evil"))).toBe(outside);
  });

  it("resolves the allowed root itself (a symlink the host's root chose) and checks below it", async () => {
    const alias = path.join(dir, "run-alias");
    await symlink(root, alias);
    await mkdir(path.join(root, "data"));
    expect(await checkHostPath(path.join(alias, "data"), [alias], { create: false })).toEqual({ ok: true });
    expect((await checkHostPath(path.join(outside, "shadow"), [root], { create: false })).ok).toBe(false);
  });

  it("throws a typed error naming the source and what to do", async () => {
    await symlink(outside, path.join(root, "x"));
    const err = await guardBindSources(
      [{ source: path.join(root, "x/shadow"), readOnly: true, create: false }],
      { readWrite: [root], readOnly: [root] },
      "creating app-web-1",
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BindSourceRefusedError);
    expect((err as BindSourceRefusedError).code).toBe("GITDOCK_E_BIND_SOURCE_REFUSED");
    expect((err as Error).message).toMatch(/^creating app-web-1: bind source refused: .* is a symbolic link/);
  });
});
