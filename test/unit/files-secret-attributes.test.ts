import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostInputError } from "../../src/errors.js";
import { loadStacks } from "../../src/manifest/index.js";
import { resolveHostInputs } from "../../src/observe/index.js";
import { IMAGE } from "../fixtures/manifest/helpers.js";

const KEY = Buffer.alloc(32, 5);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "gdt-files-secret-"));
  await writeFile(path.join(dir, "db"), "s3cret-value");
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function desired(entry: string) {
  const content = `services:\n  web:\n    image: ${IMAGE}\n    secrets:\n      - ${entry}\nsecrets:\n  db:\n    file: ${dir}/db\n`;
  return { commit: "c".repeat(40), stacks: loadStacks([{ path: "s/app/compose.yaml", content }], { root: "s" }) };
}

describe("a secret's mode and owner: checked against the host file, never changed", () => {
  it("passes when the host file has them, and mounts it at an absolute target", async () => {
    await chmod(path.join(dir, "db"), 0o400);
    const resolved = await resolveHostInputs(desired("{source: db, target: /etc/app/db.key, mode: 0400, uid: '0'}"), KEY);
    expect(resolved.stacks[0]?.services[0]?.spec.secrets).toEqual([
      { source: "db", target: "/etc/app/db.key", file: `${dir}/db`, digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });

  it("fails before anything changes, saying what to run on the host, when they differ", async () => {
    await chmod(path.join(dir, "db"), 0o600);
    const err = await resolveHostInputs(desired("{source: db, mode: 0440, uid: 999, gid: 999}"), KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostInputError);
    expect((err as HostInputError).message).toBe(`secret db: the commit asks for mode 0440 (it has 0600) and owner 999:999 (it has 0:0) of ${dir}/db`);
    expect((err as HostInputError).hint).toContain(`chmod 0440 ${dir}/db && chown 999:999 ${dir}/db`);
    expect(JSON.stringify((err as HostInputError).toJSON())).not.toContain("s3cret-value");
  });
});
