/**
 * Proves the end-to-end infrastructure itself works: pinned, distinct test images from the local
 * registry; a web image serving its variant name; a manifest repository served over smart HTTP;
 * the Git server's down switch and basic-auth requirement.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerIp, containersOf, dockerCli, httpGet, removeProjects, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { TEST_IMAGE_NAMES, WEB_PORT } from "../support/images.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";

const execFileP = promisify(execFile);
const PREFIX = "gdt-infra-";

async function gitClone(url: string, dest: string): Promise<void> {
  await execFileP("git", ["clone", "--quiet", url, dest], {
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "/bin/false" },
    timeout: 30_000,
  });
}

const tmpDirs: string[] = [];
async function tmp(label: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}${label}-`));
  tmpDirs.push(d);
  return d;
}

afterAll(async () => {
  await removeProjects(PREFIX);
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("test images", () => {
  it("are digest-pinned and distinct", () => {
    const { images } = testEnv();
    expect(Object.keys(images).sort()).toEqual([...TEST_IMAGE_NAMES].sort());
    for (const [name, ref] of Object.entries(images)) {
      expect(ref, name).toMatch(new RegExp(`^127\\.0\\.0\\.1:5000/gitdock-test/${name}@sha256:[0-9a-f]{64}$`));
    }
    const digests = Object.values(images).map((r) => r.split("@")[1]);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it("web-v1 serves its name on / and ok on /healthz", async () => {
    const { images } = testEnv();
    const name = `${PREFIX}web`;
    await removeProjects(name);
    await dockerCli(["run", "-d", "--init", "--stop-timeout", "1", "--name", name, "--label", `com.docker.compose.project=${PREFIX}proj`, images["web-v1"]]);
    const ip = await containerIp(name);
    const root = await waitFor(
      async () => {
        const r = await httpGet(`http://${ip}:${WEB_PORT}/`);
        return r.status === 200 ? r : null;
      },
      { what: "web-v1 answering on /", timeoutMs: 30_000 },
    );
    expect(root.body.trim()).toBe("web-v1");
    expect(await httpGet(`http://${ip}:${WEB_PORT}/healthz`)).toEqual({ status: 200, body: "ok\n" });

    const listed = await containersOf(`${PREFIX}proj`);
    expect(listed.map((c) => [c.name, c.state, c.image])).toEqual([[name, "running", images["web-v1"]]]);

    await removeProjects(`${PREFIX}proj`);
    expect(await containersOf(`${PREFIX}proj`)).toEqual([]);
  });

  it("the other variants behave as documented", async () => {
    const { images } = testEnv();
    const run = (name: string, image: string) => dockerCli(["run", "-d", "--init", "--stop-timeout", "1", "--name", `${PREFIX}${name}`, image]);
    await removeProjects(`${PREFIX}var-`);
    await Promise.all([
      run("var-hc", images["web-hc"]),
      run("var-hc-bad", images["web-hc-bad"]),
      run("var-unhealthy", images["web-unhealthy"]),
      run("var-crash", images.crash),
      run("var-sleeper", images.sleeper),
    ]);
    const health = async (n: string) => (await dockerCli(["inspect", "--format", "{{.State.Health.Status}}", `${PREFIX}${n}`])).trim();
    await waitFor(async () => (await health("var-hc")) === "healthy", { what: "web-hc healthy", timeoutMs: 30_000 });
    await waitFor(async () => (await health("var-hc-bad")) === "unhealthy", { what: "web-hc-bad unhealthy", timeoutMs: 30_000 });

    const ip = await containerIp(`${PREFIX}var-unhealthy`);
    const index = await waitFor(
      async () => {
        const r = await httpGet(`http://${ip}:${WEB_PORT}/`);
        return r.status === 200 ? r : null;
      },
      { what: "web-unhealthy answering on /" },
    );
    expect(index.body.trim()).toBe("web-unhealthy");
    expect((await httpGet(`http://${ip}:${WEB_PORT}/healthz`)).status).toBe(404);

    await waitFor(async () => (await dockerCli(["inspect", "--format", "{{.State.Status}}", `${PREFIX}var-crash`])).trim() === "exited", {
      what: "crash container exited",
    });
    expect((await dockerCli(["inspect", "--format", "{{.State.ExitCode}}", `${PREFIX}var-crash`])).trim()).toBe("3");
    expect(await dockerCli(["logs", `${PREFIX}var-crash`])).toContain("boom");
    expect((await dockerCli(["inspect", "--format", "{{.State.Status}}", `${PREFIX}var-sleeper`])).trim()).toBe("running");

    await removeProjects(`${PREFIX}var-`);
  });
});

describe("git server", () => {
  let repo: ManifestRepo;
  let server: GitServer;

  beforeAll(async () => {
    const root = await tmp("git-root");
    server = await startGitServer(root);
  });
  afterAll(async () => {
    await repo?.dispose();
    await server?.close();
  });

  it("serves a manifest repository commit over HTTP on the shared server", async () => {
    const env = testEnv();
    const shared = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${PREFIX}shared`);
    try {
      await shared.write("stack/compose.yaml", "services: {}\n");
      const sha = await shared.commit("first");
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      const dest = path.join(await tmp("clone"), "c");
      await gitClone(shared.url, dest);
      expect(await readFile(path.join(dest, "stack/compose.yaml"), "utf8")).toBe("services: {}\n");
      const { stdout } = await execFileP("git", ["-C", dest, "rev-parse", "HEAD"]);
      expect(stdout.trim()).toBe(sha);
    } finally {
      await shared.dispose();
    }
  });

  it("setDown(true) makes a fetch fail and setDown(false) makes it work again", async () => {
    repo = await createManifestRepo(server, `${PREFIX}repo`);
    await repo.write("a.txt", "one\n");
    const first = await repo.commit("one");
    const dest = path.join(await tmp("clone"), "c");
    await gitClone(repo.url, dest);

    await repo.write("a.txt", "two\n");
    const second = await repo.commit("two");
    expect(second).not.toBe(first);

    server.setDown(true);
    await expect(execFileP("git", ["-C", dest, "fetch", "--quiet", "origin"], { timeout: 30_000 })).rejects.toThrow(/503/);

    server.setDown(false);
    await execFileP("git", ["-C", dest, "fetch", "--quiet", "origin"], { timeout: 30_000 });
    const { stdout } = await execFileP("git", ["-C", dest, "rev-parse", "origin/main"]);
    expect(stdout.trim()).toBe(second);
  });

  it("requireAuth answers 401 without credentials and serves with them", async () => {
    server.requireAuth({ user: "alice", password: "s3cret" });
    try {
      const res = await httpGet(`${repo.url}/info/refs?service=git-upload-pack`);
      expect(res.status).toBe(401);
      const bad = await httpGet(`${repo.url}/info/refs?service=git-upload-pack`, {
        headers: { Authorization: `Basic ${Buffer.from("alice:wrong").toString("base64")}` },
      });
      expect(bad.status).toBe(401);
      await expect(gitClone(repo.url, path.join(await tmp("noauth"), "c"))).rejects.toThrow();
      const authed = repo.url.replace("http://", "http://alice:s3cret@");
      const dest = path.join(await tmp("auth"), "c");
      await gitClone(authed, dest);
      expect(await readFile(path.join(dest, "a.txt"), "utf8")).toBe("two\n");
    } finally {
      server.requireAuth(null);
    }
  });
});
