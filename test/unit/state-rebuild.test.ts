import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { moveAsideUnreadable } from "../../src/cli/commands/state-rebuild.js";
import { loadHostKey, markGood, StateStore } from "../../src/state/index.js";

const log = pino({ level: "silent" });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "gdt-state-rebuild-"));
  dirs.push(dir);
  await (await StateStore.open(dir)).update((s) => markGood(s, "a".repeat(40), new Date().toISOString()));
  await loadHostKey(dir);
  return dir;
}

const aside = (dir: string, file: string) => readdirSync(dir).filter((f) => f.startsWith(`${file}.replaced-`));

describe("gitdock state rebuild: what it moves aside", () => {
  it("keeps a state.json and a host.key that read fine", async () => {
    const dir = await stateDir();
    expect(await moveAsideUnreadable(dir, log, false)).toEqual([]);
    expect((await (await StateStore.open(dir)).read()).lastGood?.commit).toBe("a".repeat(40));
  });

  it("moves a corrupt state.json aside, and keeps it, under a .replaced- name", async () => {
    const dir = await stateDir();
    writeFileSync(path.join(dir, "state.json"), "{ not json");
    expect(await moveAsideUnreadable(dir, log, false)).toEqual(["state.json"]);
    expect(existsSync(path.join(dir, "state.json"))).toBe(false);
    expect(aside(dir, "state.json")).toHaveLength(1);
    expect(aside(dir, "host.key")).toEqual([]);
  });

  it("moves an unreadable host.key aside and leaves a good state.json", async () => {
    const dir = await stateDir();
    writeFileSync(path.join(dir, "host.key"), "short");
    expect(await moveAsideUnreadable(dir, log, false)).toEqual(["host.key"]);
    expect((await (await StateStore.open(dir)).read()).lastGood?.commit).toBe("a".repeat(40));
  });

  it("with --force, moves a state.json that reads fine too", async () => {
    const dir = await stateDir();
    expect(await moveAsideUnreadable(dir, log, true)).toEqual(["state.json"]);
    expect((await (await StateStore.open(dir)).read()).lastGood).toBeUndefined();
  });
});
