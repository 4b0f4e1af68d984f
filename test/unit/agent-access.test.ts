import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearerMatches, controlTokenPath, newControlToken, readControlToken, writeControlToken } from "../../src/agent/control-token.js";
import { hostName, isAllowedHost, type AccessSettings } from "../../src/agent/http-guard.js";
import { RecentDeliveries } from "../../src/agent/recent-deliveries.js";
import { AgentTokenError } from "../../src/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitdock-access-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the control token file", () => {
  it("is 64 fresh hex digits per start, written mode 0600 into a 0700 state directory", async () => {
    const state = join(dir, "state");
    await mkdir(state, { mode: 0o755 });
    await chmod(state, 0o755);
    const a = newControlToken();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newControlToken()).not.toBe(a);
    await writeControlToken(state, a);
    expect(await readFile(controlTokenPath(state), "utf8")).toBe(`${a}\n`);
    expect((await stat(controlTokenPath(state))).mode & 0o777).toBe(0o600);
    expect((await stat(state)).mode & 0o777).toBe(0o700);
    expect(await readControlToken(state)).toBe(a);
    const b = newControlToken();
    await writeControlToken(state, b);
    expect(await readControlToken(state)).toBe(b);
  });

  it("a missing token file is an AgentTokenError that names it and says to run as root and check --state-dir", async () => {
    const err = await readControlToken(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentTokenError);
    const e = err as AgentTokenError;
    expect(e.code).toBe("GITDOCK_E_AGENT_TOKEN");
    expect(e.message).toBe(`cannot read the agent's token ${join(dir, "agent.token")}: it does not exist`);
    expect(e.hint).toMatch(/run this command as root.*--state-dir/);
    expect(e.data).toEqual({ file: join(dir, "agent.token") });
  });

  it("an unreadable or damaged token file is an AgentTokenError naming it", async () => {
    await mkdir(controlTokenPath(dir)); // a directory: reading it fails (EISDIR), as an unreadable file would
    const unreadable = await readControlToken(dir).catch((e: unknown) => e);
    expect(unreadable).toBeInstanceOf(AgentTokenError);
    expect((unreadable as Error).message).toContain(controlTokenPath(dir));
    await rm(controlTokenPath(dir), { recursive: true });
    await writeFile(controlTokenPath(dir), "not-a-token\n");
    const damaged = await readControlToken(dir).catch((e: unknown) => e);
    expect(damaged).toBeInstanceOf(AgentTokenError);
    expect((damaged as Error).message).toBe(`the agent's token ${controlTokenPath(dir)} is not 64 hex digits`);
  });

  it.each([
    [`Bearer ${"ab".repeat(32)}`, true],
    [`bearer  ${"ab".repeat(32)} `, true],
    [`Bearer ${"ab".repeat(32)}x`, false],
    [`Bearer ${"AB".repeat(32)}`, false],
    [`Token ${"ab".repeat(32)}`, false],
    ["ab".repeat(32), false],
    ["Bearer", false],
    [undefined, false],
    [[`Bearer ${"ab".repeat(32)}`, `Bearer ${"ab".repeat(32)}`], false],
  ])("bearerMatches(%j) is %s", (header, expected) => {
    expect(bearerMatches(header, "ab".repeat(32))).toBe(expected);
  });

  it("an empty expected token matches nothing", () => {
    expect(bearerMatches("Bearer ", "")).toBe(false);
    expect(bearerMatches(undefined, "")).toBe(false);
  });
});

describe("Host names", () => {
  it.each([
    ["127.0.0.1:9380", "127.0.0.1"],
    ["LocalHost.", "localhost"],
    ["[::1]:9380", "::1"],
    ["[::1]", "::1"],
    ["gitdock.example.com:443", "gitdock.example.com"],
    ["::1", undefined],
    ["user@evil.example", undefined],
    ["evil.example/path", undefined],
    ["a b", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("hostName(%j) is %j", (header, expected) => {
    expect(hostName(header)).toBe(expected);
  });

  const access = (over: Partial<AccessSettings> = {}): AccessSettings => ({ token: "t", allowedHosts: [], listenHost: "127.0.0.1", ...over });

  it.each([
    ["localhost", access(), true],
    ["127.0.0.1", access(), true],
    ["::1", access(), true],
    ["127.0.0.2", access(), false],
    ["0.0.0.0", access({ listenHost: "0.0.0.0" }), false],
    ["10.0.0.5", access(), false],
    ["10.0.0.5", access({ listenHost: "10.0.0.5" }), true],
    ["gitdock.example.com", access({ allowedHosts: ["Gitdock.Example.com."] }), true],
    ["sub.gitdock.example.com", access({ allowedHosts: ["gitdock.example.com"] }), false],
    ["2001:db8::1", access({ allowedHosts: ["[2001:DB8::1]"] }), true],
    ["", access({ allowedHosts: [""] }), false],
  ])("isAllowedHost(%j) with %j is %s", (name, settings, expected) => {
    expect(isAllowedHost(name, settings)).toBe(expected);
  });
});

describe("RecentDeliveries", () => {
  const body = (n: number) => Buffer.from(`{"after":"${n}"}`);

  it("admits a delivery once per id and once per body, within the window", () => {
    let now = 0;
    const d = new RecentDeliveries({ windowMs: 60_000, maxEntries: 100 }, () => now);
    expect(d.admit({ provider: "github", id: "a", body: body(1) })).toBeUndefined();
    expect(d.admit({ provider: "github", id: "a", body: body(2) })).toMatch(/^duplicate delivery a: already received within the last 1 min/);
    expect(d.admit({ provider: "github", id: "b", body: body(1) })).toMatch(/^duplicate delivery: the same signed body/);
    expect(d.admit({ provider: "github", id: undefined, body: body(1) })).toMatch(/^duplicate delivery/);
    // The same id from another forge is another delivery.
    expect(d.admit({ provider: "gitlab", id: "a", body: body(3) })).toBeUndefined();
    expect(d.admit({ provider: "github", id: undefined, body: body(4) })).toBeUndefined();
    now = 59_999;
    expect(d.admit({ provider: "github", id: "a", body: body(5) })).toMatch(/^duplicate/);
    now = 60_000;
    expect(d.admit({ provider: "github", id: "a", body: body(1) })).toBeUndefined();
  });

  it("forgets what is older than the window, and keeps at most maxEntries", () => {
    let now = 0;
    const d = new RecentDeliveries({ windowMs: 1_000, maxEntries: 6 }, () => now);
    for (let i = 0; i < 10; i++) expect(d.admit({ provider: "github", id: `id-${i}`, body: body(i) })).toBeUndefined();
    expect(d.size).toBe(6); // two keys per delivery: the last three deliveries
    expect(d.admit({ provider: "github", id: "id-9", body: body(99) })).toMatch(/^duplicate/);
    expect(d.admit({ provider: "github", id: "id-0", body: body(0) })).toBeUndefined(); // evicted, so new again
    now = 1_000;
    expect(d.admit({ provider: "github", id: undefined, body: body(100) })).toBeUndefined();
    expect(d.size).toBe(1);
  });

  it("names a long or odd delivery id only in a short, printable form", () => {
    const d = new RecentDeliveries();
    const id = `x\n${"y".repeat(500)}`;
    d.admit({ provider: "github", id, body: body(1) });
    const reason = d.admit({ provider: "github", id, body: body(2) })!;
    expect(reason).not.toContain("\n");
    expect(reason.length).toBeLessThan(200);
  });
});
