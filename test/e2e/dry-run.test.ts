/**
 * `gitdock plan` is a dry run of the whole pass: it judges the target (signature, manifest, policy)
 * and plans, but records nothing — state.json, the journal, signature records, git notes and
 * deployment markers are exactly as before, whatever the target turns out to be.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const execFileP = promisify(execFile);
const P = "gdt-dry-";
const APP = `${P}app`;
let repo: ManifestRepo;
let host: TestHost;
let receiver: http.Server;
let markers = 0;

/** Every file of the state directory (the clone aside: a plan fetches), by name and content digest. */
async function stateFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(host.stateDir)) {
    if (name === "repo" || name === "agent.token") continue;
    const text = await readFile(path.join(host.stateDir, name)).catch(() => undefined);
    if (text) out[name] = createHash("sha256").update(text).digest("hex");
  }
  return out;
}

async function notesRef(): Promise<string> {
  return repo.git(["ls-remote", repo.url, "refs/notes/gitdock"]);
}

beforeAll(async () => {
  const env = testEnv();
  receiver = http.createServer((req, res) => {
    markers++;
    req.resume();
    res.end();
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  const secret = `${repo.workDir}.secret`;
  await writeFile(secret, "marker-secret\n");
  // warn mode verifies every commit (and records the verdict on a real pass): a key nobody signs with.
  const key = `${repo.workDir}.key`;
  await execFileP("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const signers = `${repo.workDir}.allowed_signers`;
  await writeFile(signers, `nobody@example.com ${(await readFile(`${key}.pub`, "utf8")).trim()}\n`);
  host = await createTestHost({
    prefix: P,
    repo: repo.url,
    path: "hosts/h1",
    config:
      `report:\n  git_notes: true\n  notify:\n    url: http://127.0.0.1:${(receiver.address() as AddressInfo).port}/m\n    secret_file: ${secret}\n` +
      `security:\n  verify:\n    mode: warn\n    allowed_signers: ${signers}\n`,
  });
  await repo.write("hosts/h1/app/compose.yaml", `name: ${APP}\nservices:\n  web:\n${webService(env.images["web-v1"])}\n`);
  await repo.commit("good");
  const first = await host.run("sync");
  expect(first.code, first.stdout + first.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await host?.dispose();
  for (const suffix of [".secret", ".key", ".key.pub", ".allowed_signers"]) await rm(`${repo?.workDir}${suffix}`, { force: true });
  await repo?.dispose();
  await new Promise((r) => receiver?.close(r));
});

describe("a dry run records nothing", () => {
  it.each([
    ["a new release", (env: ReturnType<typeof testEnv>) => `name: ${APP}\nservices:\n  web:\n${webService(env.images["web-v2"])}\n`, 0],
    [
      "a commit the policy rejects",
      (env: ReturnType<typeof testEnv>) => `name: ${APP}\nservices:\n  web:\n${webService(env.images["web-v2"], "    privileged: true")}\n`,
      4,
    ],
  ])("%s: state, journal, signature records, notes and markers unchanged", async (_name, compose, exit) => {
    const before = { files: await stateFiles(), notes: await notesRef(), markers };
    await repo.write("hosts/h1/app/compose.yaml", compose(testEnv()));
    await repo.commit("unsigned change");
    const r = await host.run("plan");
    expect(r.code, r.stderr).toBe(exit);
    expect({ files: await stateFiles(), notes: await notesRef(), markers }).toEqual(before);
  });
});
