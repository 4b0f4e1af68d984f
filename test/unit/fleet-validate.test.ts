import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { validateCommand } from "../../src/cli/commands/validate.js";

const dir = mkdtempSync(path.join(tmpdir(), "gdt-fleet-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function captured(): { err: () => string; out: () => string } {
  const err: string[] = [];
  const out: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  return { err: () => err.join(""), out: () => out.join("") };
}

describe("gitdock validate and the fleet file", () => {
  it("checks every fleet.yaml in a validated directory, each problem at file:line:col", async () => {
    mkdirSync(path.join(dir, "hosts", "web-1", "shop"), { recursive: true });
    writeFileSync(path.join(dir, "hosts", "web-1", "shop", "compose.yaml"), "services:\n  web:\n    image: nginx@sha256:" + "a".repeat(64) + "\n");
    writeFileSync(path.join(dir, "fleet.yaml"), "hosts:\n  web-1: { key: not-a-key }\nwaves:\n  - { name: canary, hosts: [web-2], soak: later }\n");
    const io = captured();
    expect(await validateCommand([dir], {})).toBe(1);
    const file = path.join(dir, "fleet.yaml");
    expect(io.err()).toContain(`${file}:4:43: waves[0].soak: expected a duration`);
    expect(io.err()).toContain(`${file}:2:17: hosts.web-1.key: expected an SSH public key line`);
  });
});
