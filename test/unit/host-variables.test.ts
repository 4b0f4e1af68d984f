/** The host's variables files, read by the agent on the host (src/observe/read-host-variables.ts). */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestSectionDefaults } from "../../src/config/manifest-section.js";
import { HostInputError } from "../../src/errors.js";
import { readHostVariables } from "../../src/observe/read-host-variables.js";
import { guardedPaths } from "../../src/policy/guarded-paths.js";

let dir: string;
let vars: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gdt-hostvars-"));
  vars = join(dir, "env");
  mkdirSync(vars);
  writeFileSync(join(vars, "shop.env"), "# the shop's secrets\nDB_PASSWORD='s3cret value'\nexport TAG=1.27\n", { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const section = () => ({ ...manifestSectionDefaults({ variables_dir: vars }) });
const read = (projects: string[], roots = [dir], guarded = guardedPaths([])) => readHostVariables(projects, section(), roots, guarded);

describe("host variables files", () => {
  it("reads <variables_dir>/<project>.env, and names the file", async () => {
    const { variables } = await read(["shop"]);
    expect(Object.fromEntries(variables.valuesFor("shop") ?? [])).toEqual({ DB_PASSWORD: "s3cret value", TAG: "1.27" });
    expect(variables.fileFor("shop")).toBe(join(vars, "shop.env"));
  });

  it("gives no variables for a project without a file", async () => {
    expect((await read(["blog"])).variables.valuesFor("blog")?.size).toBe(0);
  });

  it("changes its digest when a value changes, and never holds a value in it", async () => {
    const before = await read(["shop"]);
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD=rotated\nTAG=1.27\n");
    const after = await read(["shop"]);
    writeFileSync(join(vars, "shop.env"), "DB_PASSWORD='s3cret value'\nTAG=1.27\n");
    expect(after.digest).not.toBe(before.digest);
    expect((await read(["shop"])).digest).toBe(before.digest);
    expect(before.digest).not.toContain("s3cret");
  });

  it("reads nothing outside security.policy.env_file_roots, and says so where the host would look", async () => {
    const { variables } = await read(["shop"], ["/etc/gitdock/env"]);
    expect(variables.valuesFor("shop")?.size).toBe(0);
    expect(variables.fileFor("shop")).toMatch(/shop\.env \(not read: manifest.variables_dir is not under security.policy.env_file_roots\)$/);
  });

  it("never reads one of the agent's own files, whatever the commit names its project", async () => {
    writeFileSync(join(vars, "agent.env"), "GITDOCK_GIT_PASSWORD=token\n");
    const { variables } = await read(["agent"], [dir], guardedPaths([join(vars, "agent.env")]));
    expect(variables.valuesFor("agent")?.size).toBe(0);
    expect(variables.fileFor("agent")).toMatch(/not read: it is one of the agent's own files/);
  });

  it("refuses a symlink, and a broken line, by file and line only", async () => {
    symlinkSync("/etc/hostname", join(vars, "linked.env"));
    await expect(read(["linked"])).rejects.toThrow(HostInputError);
    writeFileSync(join(vars, "broken.env"), "OK=1\nthis has s3cret and no equals sign\n");
    const err = (await read(["broken"]).catch((e: unknown) => e)) as HostInputError;
    expect(err).toBeInstanceOf(HostInputError);
    expect(err.message).toBe(`${join(vars, "broken.env")}:2: expected KEY=VALUE (a name of letters, digits, _, . and -, then =)`);
  });

  it("fails (to be retried) on something that is not a file", async () => {
    mkdirSync(join(vars, "dir.env"));
    await expect(read(["dir"])).rejects.toThrow(/host variables file .*dir\.env is not a regular file/);
  });
});
