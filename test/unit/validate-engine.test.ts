import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { validateCommand } from "../../src/cli/commands/validate.js";
import { readPolicyFileEngine } from "../../src/config/read-policy-file.js";
import { ConfigInvalidError } from "../../src/errors.js";

const dir = mkdtempSync(path.join(tmpdir(), "gdt-validate-engine-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function captured(): { err: () => string; out: () => string } {
  const err: string[] = [];
  const out: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  return { err: () => err.join(""), out: () => out.join("") };
}

const IMAGE = `nginx@sha256:${"a".repeat(64)}`;

/** A host directory with one stack that is valid on exactly one engine; returns the compose file's path. */
function stack(name: string, service: string): string {
  const stackDir = path.join(dir, name, "shop");
  mkdirSync(stackDir, { recursive: true });
  const file = path.join(stackDir, "compose.yaml");
  writeFileSync(file, `services:\n  web:\n    image: ${IMAGE}\n${service}`);
  return file;
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("gitdock validate --engine", () => {
  const swarmOnly = "    deploy:\n      mode: global\n";
  const containersOnly = "    container_name: shop-web\n";

  it("judges as plain containers by default: Swarm's deploy keys are problems at file:line:col", async () => {
    const file = stack("containers", swarmOnly);
    const io = captured();
    expect(await validateCommand([path.join(dir, "containers")], {})).toBe(1);
    expect(io.err()).toContain(`${file}:5:7: services.web.deploy.mode: not supported by gitdock (a Swarm setting;`);
  });

  it("judges as Swarm services with --engine swarm", async () => {
    const swarm = stack("swarm", swarmOnly);
    const io = captured();
    expect(await validateCommand([path.join(dir, "swarm")], { engine: "swarm" })).toBe(0);
    expect(io.out()).toContain("ok: 1 stack(s) valid");
    const plain = stack("plain", containersOnly);
    expect(await validateCommand([path.join(dir, "plain")], { engine: "swarm" })).toBe(1);
    expect(io.err()).toContain(`${plain}:4:5: services.web.container_name: not supported on a Swarm (Swarm names each task's container itself`);
    expect(io.err()).not.toContain(swarm);
  });

  it("takes the engine of the agent config given as --policy, which --engine overrides", async () => {
    stack("by-config", swarmOnly);
    const config = write("config.yaml", "repo: https://git.example.com/ops/hosts.git\nengine: swarm\nsecurity:\n  policy: {}\n");
    const io = captured();
    expect(await validateCommand([path.join(dir, "by-config")], { policy: config })).toBe(0);
    expect(await validateCommand([path.join(dir, "by-config")], { policy: config, engine: "containers" })).toBe(1);
    expect(io.err()).toContain("services.web.deploy.mode: not supported by gitdock");
  });

  it("reads no engine from a policy file, and refuses an engine it does not know at file:line:col", async () => {
    expect(await readPolicyFileEngine(write("policy.yaml", "policy:\n  privileged: false\n"))).toBeUndefined();
    const bad = write("bad.yaml", "engine: kubernetes\nsecurity:\n  policy: {}\n");
    const err = await readPolicyFileEngine(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect((err as Error).message).toContain(`${bad}:1:9: engine: expected "containers" or "swarm"`);
  });
});
