/**
 * Images: what gitdock pulled and no longer needs is removed after a healthy rollout; the last good
 * commits keep theirs; images gitdock did not pull are never touched.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerCli } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const run = promisify(execFile);
const P = "gdt-img-";
const project = `${P}app`;

/** Five distinct pinned images that exist only in the registry (removed locally), so gitdock must pull them. */
async function registryOnlyImages(count: number): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${P}build-`));
  const refs: string[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const tag = `127.0.0.1:5000/gitdock-test/gc:${process.pid}-${i}`;
      await writeFile(path.join(dir, "Dockerfile"), `FROM ${testEnv().images["web-v1"]}\nLABEL gdt.gc="${process.pid}-${i}"\n`);
      await run("docker", ["build", "-q", "-t", tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: "0" } });
      await run("docker", ["push", tag]);
      const ref = (await dockerCli(["inspect", "--format", "{{index .RepoDigests 0}}", tag])).trim();
      await run("docker", ["rmi", tag]);
      refs.push(ref);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return refs;
}

async function present(ref: string): Promise<boolean> {
  return dockerCli(["image", "inspect", ref]).then(
    () => true,
    () => false,
  );
}

let repo: ManifestRepo;
let host: TestHost;
let images: string[];

beforeAll(async () => {
  images = await registryOnlyImages(5);
  repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}repo`);
  host = await createTestHost({ prefix: `${P}`, repo: repo.url });
});
afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  for (const ref of images ?? []) await run("docker", ["rmi", ref]).catch(() => undefined);
});

describe("image cleanup", () => {
  it("removes pulled images no kept commit uses, keeps the last good ones, never touches others", async () => {
    const local = testEnv().images.sleeper; // built on this host, not pulled by gitdock
    const file = (image: string) => `name: ${project}\nservices:\n  web:\n${webService(image)}\n  side:\n${webService(local)}\n`;
    for (const image of images) {
      await repo.write("app/compose.yaml", file(image));
      await repo.commit(`release ${image.slice(-8)}`);
      const r = await host.run("sync");
      expect(r.code, r.stderr).toBe(0);
    }
    // The running commit and the two good commits before it keep their images.
    expect(await Promise.all(images.map(present))).toEqual([false, false, true, true, true]);
    expect(await present(local)).toBe(true);
  });
});
