/**
 * Files from the repository on the real Engine, registry and Git server: a web server serving a
 * file committed next to its compose file (mounted read-only from gitdock's store), a service that
 * mounts nothing, a config with its mode, and a data directory. One scenario, steps in order. Then
 * `gitdock validate` on a directory, judging files of the repository as a sync does.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGitdock } from "../support/cli.js";
import { containerIp, dockerCli, dockerClient, httpGet, removeProjects } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-rf-";
const SITE = `${P}site`;
const PROXY = `${SITE}-proxy-1`;
const OTHER = `${SITE}-other-1`;
/** The default data root (files.data_root) under the default bind root /srv. */
const DATA_DIR = `/srv/gitdock/${SITE}`;
const STACK = "hosts/h1/site";

let repo: ManifestRepo;
let host: TestHost;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

function compose(proxyImage: string): string {
  const { images } = testEnv();
  const proxy = [
    "    volumes:",
    "      - ./public/index.html:/www/index.html:ro",
    "      - ./data:/data",
    "    configs:",
    "      - {source: banner, target: /www/banner.txt, mode: 0440}",
    "    x-gitdock:",
    "      probe:",
    "        http: {port: 8080, path: /healthz}",
    "      health_timeout: 8s",
  ].join("\n");
  return `name: ${SITE}
services:
  proxy:
${webService(proxyImage, proxy)}
  other:
${webService(images["web-v1"])}
configs:
  banner:
    file: ./banner.txt
`;
}

async function release(message: string, files: { index: string; banner?: string; image?: string }): Promise<string> {
  await repo.write(`${STACK}/compose.yaml`, compose(files.image ?? testEnv().images["web-v1"]));
  await repo.write(`${STACK}/public/index.html`, files.index);
  await repo.write(`${STACK}/banner.txt`, files.banner ?? "banner one\n");
  return repo.commit(message);
}

async function served(container: string, file = ""): Promise<string> {
  const r = await httpGet(`http://${await containerIp(container)}:8080/${file}`, { timeoutMs: 3000 });
  return r.body;
}

const exec = (container: string, script: string) => dockerCli(["exec", container, "sh", "-c", script]);
const storeObjects = async () => (await readdir(path.join(host.stateDir, "files", "sha256")).catch(() => [] as string[])).sort();

beforeAll(async () => {
  repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}manifests`);
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1" });
});

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await removeProjects(P);
  await rm(DATA_DIR, { recursive: true, force: true });
  // The data root itself only when nothing else lives there.
  await rmdir("/srv/gitdock").catch(() => undefined);
});

describe("files from the repository", () => {
  let ids: Record<string, string>;

  it("serves the commit's file, mounted read-only from the store, and mounts a config at its target with its mode", async () => {
    await release("v1", { index: "hello v1\n" });
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(await served(PROXY)).toBe("hello v1\n");
    expect(await served(PROXY, "banner.txt")).toBe("banner one\n");

    const mounts = (await dockerClient().getContainer(PROXY).inspect()).Mounts;
    const index = mounts.find((m) => m.Destination === "/www/index.html");
    expect(index).toMatchObject({ Type: "bind", Source: path.join(host.stateDir, "files", "sha256", sha("hello v1\n")), RW: false });
    expect(mounts.find((m) => m.Destination === "/www/banner.txt")).toMatchObject({
      Source: path.join(host.stateDir, "files", "sha256", `${sha("banner one\n")}.0440`),
      RW: false,
    });
    expect((await exec(PROXY, "stat -c '%a %u' /www/index.html /www/banner.txt")).trim().split("\n")).toEqual(["444 0", "440 0"]);
    await expect(exec(PROXY, "echo changed > /www/index.html")).rejects.toThrow(/Read-only file system/);
    // On the host: root's, read-only, inside the state directory.
    expect((await stat(index!.Source)).mode & 0o777).toBe(0o444);
    ids = await host.ids(SITE);
  });

  it("creates a relative path the repository does not hold as a data directory under the data root", async () => {
    expect((await stat(path.join(DATA_DIR, "data"))).isDirectory()).toBe(true);
    await exec(PROXY, "echo kept > /data/marker");
    expect(await readFile(path.join(DATA_DIR, "data", "marker"), "utf8")).toBe("kept\n");
  });

  it("replaces only the service that mounts a changed file, and keeps the data directory", async () => {
    await release("v2", { index: "hello v2\n" });
    const plan = await host.run("plan", ["--json", "--detailed-exitcode"]);
    expect(plan.code, plan.stderr).toBe(2);
    const actions = JSON.parse(plan.stdout).plan.actions as { container: string; kind: string; reasons: string[] }[];
    expect(actions.filter((a) => a.kind !== "unchanged")).toEqual([
      expect.objectContaining({ container: PROXY, kind: "replace", reasons: ["config changed: volumes"] }),
    ]);

    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    const after = await host.ids(SITE);
    expect(after[PROXY]).not.toBe(ids[PROXY]);
    expect(after[OTHER]).toBe(ids[OTHER]);
    expect(await served(PROXY)).toBe("hello v2\n");
    expect((await exec(PROXY, "cat /data/marker")).trim()).toBe("kept");
    ids = after;
  });

  it("rolls a failing release back to the previous content, from the store", async () => {
    const failing = await release("v3: new page, broken image", { index: "hello v3\n", image: testEnv().images["web-unhealthy"] });
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout + r.stderr).toContain(failing.slice(0, 12));
    expect(await host.ids(SITE)).toEqual(ids);
    expect(await served(PROXY)).toBe("hello v2\n");
    expect(await storeObjects()).toContain(sha("hello v3\n"));
  });

  it("cleans the store after the next healthy rollout, keeping what the good commits use", async () => {
    await release("v4", { index: "hello v4\n", banner: "banner two\n" });
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(await served(PROXY)).toBe("hello v4\n");
    expect(await served(PROXY, "banner.txt")).toBe("banner two\n");
    const objects = await storeObjects();
    // v1, v2 and v4 are good commits (state.json goodHistory): their files stay, for a rollback without Git.
    for (const kept of [sha("hello v1\n"), sha("hello v2\n"), sha("hello v4\n"), `${sha("banner one\n")}.0440`, `${sha("banner two\n")}.0440`])
      expect(objects).toContain(kept);
    // The failed commit's page is gone.
    expect(objects).not.toContain(sha("hello v3\n"));
    expect((await readFile(path.join(DATA_DIR, "data", "marker"), "utf8")).trim()).toBe("kept");
  });
});

describe("gitdock validate on files of the repository, as a sync judges them", () => {
  let dir: string;
  const write = async (file: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  };
  const site = (volumes: string[], top = "") =>
    `services:\n  proxy:\n    image: ${testEnv().images["web-v1"]}\n    volumes:\n${volumes.map((v) => `      - ${v}\n`).join("")}${top}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `${P}validate-`));
    await write("hosts/h1/site/nginx.conf", "events {}\n");
    await write("hosts/h1/site/conf.d/default.conf", "server {}\n");
    await write("hosts/h1/site/db_password.txt", "hunter2\n");
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("refuses :rw on a file or directory of the repository and a secret committed in plain text, at their lines", async () => {
    const secret = "    secrets: [db]\nsecrets:\n  db:\n    file: ./db_password.txt\n";
    await write(
      "hosts/h1/site/compose.yaml",
      site(["./nginx.conf:/etc/nginx/nginx.conf:rw", "./conf.d:/etc/nginx/conf.d:rw", "./cache:/var/cache/nginx"], secret),
    );
    const expected = [
      /site\/compose\.yaml:5:9: services\.proxy\.volumes\[0\]: "\.\/nginx\.conf" is a file of the repository \(.*hosts\/h1\/site\/nginx\.conf\); files from Git are mounted read-only: remove ":rw"/,
      /site\/compose\.yaml:6:9: services\.proxy\.volumes\[1\]: "\.\/conf\.d" is a directory of the repository/,
      /site\/compose\.yaml:11:11: secrets\.db\.file: "\.\/db_password\.txt" is a file committed to the repository .* in plain text: a secret must never be in Git unencrypted; rotate it, then encrypt it/,
    ];
    // The host's directory, and the compose file alone (its directory's stack, with what it mounts below it).
    for (const target of [path.join(dir, "hosts/h1"), path.join(dir, "hosts/h1/site/compose.yaml")]) {
      const r = await runGitdock(["validate", target]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      for (const line of expected) expect(r.stderr).toMatch(line);
      expect(r.stderr).toMatch(/^3 problem\(s\)$/m);
      expect(r.stdout + r.stderr).not.toContain("hunter2");
    }
  });

  it("passes the same stack once its files are mounted read-only and the committed secret is gone, also against a host policy", async () => {
    await write("hosts/h1/site/compose.yaml", site(["./nginx.conf:/etc/nginx/nginx.conf", "./conf.d:/etc/nginx/conf.d:ro", "./cache:/var/cache/nginx"]));
    const policy = path.join(dir, "policy.yaml");
    await writeFile(policy, "policy:\n  bind_roots: [/srv]\n");
    for (const args of [[], ["--policy", policy]]) {
      const r = await runGitdock(["validate", ...args, path.join(dir, "hosts/h1")]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("ok: 1 stack(s) valid");
    }
  });
});
