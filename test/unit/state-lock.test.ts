import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { acquireLock, readLockHolder } from "../../src/state/lock.js";
import { processStartTime } from "../../src/state/process-alive.js";

let dir: string;
let lockFile: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitdock-lock-"));
  lockFile = join(dir, "reconcile.lock");
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

function sleeper(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
  children.push(child);
  return child;
}

const lockOf = (pid: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ pid, startedAt: "2026-11-22T14:00:00.000Z", host: "h", nonce: "n", ...extra });

describe("acquireLock", () => {
  it("takes a free lock, records its holder and removes it on release", async () => {
    const release = await acquireLock(dir);
    const holder = JSON.parse(await readFile(lockFile, "utf8"));
    expect(holder).toMatchObject({ pid: process.pid });
    expect(await readLockHolder(dir)).toMatchObject({ pid: process.pid });
    await release();
    await release(); // twice is harmless
    expect(await readdir(dir)).toEqual([]);
    expect(await readLockHolder(dir)).toBeUndefined();
  });

  it("refuses while a live process holds it, naming the pid", async () => {
    const release = await acquireLock(dir);
    const err = (await acquireLock(dir).catch((e: unknown) => e)) as StateError;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(new RegExp(`^another gitdock \\(pid ${process.pid}\\) is reconciling this host`));
    await release();
    await (
      await acquireLock(dir)
    )();
  });

  it("refuses a lock held by another live process", async () => {
    const child = sleeper();
    await writeFile(lockFile, lockOf(child.pid!));
    await expect(acquireLock(dir)).rejects.toThrow(`another gitdock (pid ${child.pid}) is reconciling this host`);
    expect(JSON.parse(await readFile(lockFile, "utf8")).pid).toBe(child.pid);
  });

  it("takes over the lock of a process that exited", async () => {
    const dead = await exitedPid();
    await writeFile(lockFile, lockOf(dead));
    const release = await acquireLock(dir);
    expect(JSON.parse(await readFile(lockFile, "utf8")).pid).toBe(process.pid);
    await release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes over the lock of a SIGKILLed holder", async () => {
    const child = sleeper();
    await writeFile(lockFile, lockOf(child.pid!));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    await (
      await acquireLock(dir)
    )();
  });

  it.runIf(processStartTime() !== undefined)("takes over a lock whose pid now belongs to a process started later", async () => {
    await writeFile(lockFile, lockOf(process.pid, { procStart: "1" }));
    await (
      await acquireLock(dir)
    )();
  });

  it("takes over an unreadable lock file", async () => {
    await writeFile(lockFile, "");
    await (
      await acquireLock(dir)
    )();
  });

  it("with wait, gives up after the timeout", async () => {
    const child = sleeper();
    await writeFile(lockFile, lockOf(child.pid!));
    const started = Date.now();
    const err = (await acquireLock(dir, { wait: true, timeoutMs: 300, pollMs: 50 }).catch((e: unknown) => e)) as StateError;
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/gave up waiting/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("with wait, gets the lock once the holder releases it", async () => {
    const first = await acquireLock(dir);
    const second = acquireLock(dir, { wait: true, timeoutMs: 5000, pollMs: 20 });
    setTimeout(() => void first(), 100);
    await (
      await second
    )();
  });

  it("with wait, gets the lock once the holder dies", async () => {
    const child = sleeper();
    await writeFile(lockFile, lockOf(child.pid!));
    setTimeout(() => child.kill("SIGKILL"), 100);
    await (
      await acquireLock(dir, { wait: true, timeoutMs: 5000, pollMs: 20 })
    )();
  });

  it("many concurrent acquirers: exactly one at a time holds it", async () => {
    let holders = 0;
    let maxHolders = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const release = await acquireLock(dir, { wait: true, timeoutMs: 10_000, pollMs: 5 });
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        await new Promise((r) => setTimeout(r, 10));
        holders--;
        await release();
      }),
    );
    expect(maxHolders).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it("release leaves a lock that is no longer its own", async () => {
    const release = await acquireLock(dir);
    const child = sleeper();
    await writeFile(lockFile, lockOf(child.pid!));
    await release();
    expect(JSON.parse(await readFile(lockFile, "utf8")).pid).toBe(child.pid);
  });
});
