/**
 * The core: from a Git manifest repository over HTTP to running containers on the real Engine.
 * One scenario, in order: each step starts from the host the previous one left.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, dockerCli, dockerClient, removeProjects } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-sync-";
const SHOP = `${P}shop`;
const BLOG = `${P}blog`;

let repo: ManifestRepo;
let host: TestHost;
let envDir: string;

function shopCompose(opts: { web?: string; api?: string; apiEnv?: string; withWorker?: boolean } = {}): string {
  const { images } = testEnv();
  return `name: ${SHOP}
services:
  web:
${webService(opts.web ?? images["web-v1"], `    depends_on: [api]\n    labels:\n      team: shop\n    env_file: ${envDir}/web.env`)}
  api:
${webService(opts.api ?? images["web-v1"], `    environment:\n      MODE: ${opts.apiEnv ?? "one"}`, { deploy: ["replicas: 2"] })}
${opts.withWorker ? `  worker:\n${webService(images.sleeper)}\n` : ""}`;
}

function blogCompose(): string {
  return `services:
  web:
${webService(testEnv().images["web-v1"], "    networks: [front]")}
networks:
  front: {}
`;
}

beforeAll(async () => {
  const env = testEnv();
  envDir = await mkdtemp(path.join(os.tmpdir(), `${P}env-`));
  await writeFile(path.join(envDir, "web.env"), "GREETING=hello\n");
  repo = await createManifestRepo({ url: env.gitUrl, root: env.gitRoot }, `${P}manifests`);
  // env files are read only from the directories the host policy names (default /etc/gitdock/env).
  host = await createTestHost({ prefix: P, repo: repo.url, path: "hosts/h1", config: `security:\n  policy:\n    env_file_roots: [${envDir}]\n` });
});

afterAll(async () => {
  await host?.dispose();
  await repo?.dispose();
  await rm(envDir, { recursive: true, force: true });
});

describe("sync against a real engine, registry and Git server", () => {
  it("first sync creates every stack, with Compose's names and labels and gitdock's", async () => {
    await repo.write("hosts/h1/shop/compose.yaml", shopCompose({ withWorker: true }));
    await repo.write(`hosts/h1/${BLOG}/compose.yml`, blogCompose());
    const commit = await repo.commit("first release");

    const r = await host.run("sync");
    expect(r.stderr, r.stdout).toBeTruthy();
    expect(r.code, r.stderr).toBe(0);

    const shop = await containersOf(SHOP);
    expect(shop.map((c) => [c.name, c.state]).sort()).toEqual([
      [`${SHOP}-api-1`, "running"],
      [`${SHOP}-api-2`, "running"],
      [`${SHOP}-web-1`, "running"],
      [`${SHOP}-worker-1`, "running"],
    ]);
    const web = shop.find((c) => c.name === `${SHOP}-web-1`);
    expect(web?.labels).toMatchObject({
      "com.docker.compose.project": SHOP,
      "com.docker.compose.service": "web",
      "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False",
      "gitdock.managed": "true",
      "gitdock.commit": commit,
      team: "shop",
    });
    expect(web?.labels["gitdock.spec-hash"]).toMatch(/^[0-9a-f]{64}$/);

    const inspect = await dockerClient().getContainer(`${SHOP}-web-1`).inspect();
    expect(inspect.Config.Env).toContain("GREETING=hello");
    expect(Object.keys(inspect.NetworkSettings.Networks)).toEqual([`${SHOP}_default`]);
    expect((await containersOf(BLOG)).map((c) => c.name)).toEqual([`${BLOG}-web-1`]);
    const blogNets = Object.keys((await dockerClient().getContainer(`${BLOG}-web-1`).inspect()).NetworkSettings.Networks);
    expect(blogNets).toEqual([`${BLOG}_front`]);
  });

  it("plan after apply is empty, and a second sync changes nothing", async () => {
    const before = await host.ids(SHOP);
    const plan = await host.run("plan", ["--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("0 to create, 0 to replace, 0 to remove, 5 unchanged");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("already in sync");
    expect(await host.ids(SHOP)).toEqual(before);
  });

  it("a digest change replaces exactly that service", async () => {
    const before = await host.ids(SHOP);
    await repo.write("hosts/h1/shop/compose.yaml", shopCompose({ web: testEnv().images["web-v2"], withWorker: true }));
    await repo.commit("web v2");
    const plan = await host.run("plan", ["--json", "--detailed-exitcode"]);
    expect(plan.code).toBe(2);
    const actions = JSON.parse(plan.stdout).plan.actions as { container: string; kind: string; reasons: string[] }[];
    expect(actions.filter((a) => a.kind !== "unchanged")).toEqual([
      expect.objectContaining({ container: `${SHOP}-web-1`, kind: "replace", reasons: ["image changed"] }),
    ]);

    expect((await host.run("sync")).code).toBe(0);
    const after = await host.ids(SHOP);
    expect(after[`${SHOP}-web-1`]).not.toBe(before[`${SHOP}-web-1`]);
    for (const name of [`${SHOP}-api-1`, `${SHOP}-api-2`, `${SHOP}-worker-1`]) expect(after[name]).toBe(before[name]);
    const web = (await containersOf(SHOP)).find((c) => c.name === `${SHOP}-web-1`);
    expect(web?.image).toBe(testEnv().images["web-v2"]);
  });

  it("an environment change replaces the service's replicas and names the setting", async () => {
    const before = await host.ids(SHOP);
    await repo.write("hosts/h1/shop/compose.yaml", shopCompose({ web: testEnv().images["web-v2"], apiEnv: "two", withWorker: true }));
    await repo.commit("api env");
    const plan = await host.run("plan");
    expect(plan.stdout).toMatch(/~ gdt-sync-shop-api-1\s+replace\s+config changed: environment/);
    expect((await host.run("sync")).code).toBe(0);
    const after = await host.ids(SHOP);
    expect(after[`${SHOP}-api-1`]).not.toBe(before[`${SHOP}-api-1`]);
    expect(after[`${SHOP}-api-2`]).not.toBe(before[`${SHOP}-api-2`]);
    expect(after[`${SHOP}-web-1`]).toBe(before[`${SHOP}-web-1`]);
    const env = (await dockerClient().getContainer(`${SHOP}-api-2`).inspect()).Config.Env;
    expect(env).toContain("MODE=two");
  });

  it("a change of a host env_file replaces the services that read it", async () => {
    const before = await host.ids(SHOP);
    await writeFile(path.join(envDir, "web.env"), "GREETING=bonjour\n");
    expect((await host.run("sync")).code).toBe(0);
    const after = await host.ids(SHOP);
    expect(after[`${SHOP}-web-1`]).not.toBe(before[`${SHOP}-web-1`]);
    expect(after[`${SHOP}-api-1`]).toBe(before[`${SHOP}-api-1`]);
    expect((await dockerClient().getContainer(`${SHOP}-web-1`).inspect()).Config.Env).toContain("GREETING=bonjour");
  });

  it("a container stopped, removed or recreated by hand is repaired on the next sync", async () => {
    const { images } = testEnv();
    await dockerCli(["stop", "-t", "1", `${SHOP}-api-1`]);
    await dockerCli(["rm", "-f", `${SHOP}-api-2`]);
    const worker = (await containersOf(SHOP)).find((c) => c.name === `${SHOP}-worker-1`);
    await dockerCli(["rm", "-f", `${SHOP}-worker-1`]);
    // Recreated by hand from another image, with gitdock's labels copied onto it.
    const labelArgs = Object.entries(worker?.labels ?? {}).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    await dockerCli(["run", "-d", "--init", "--name", `${SHOP}-worker-1`, ...labelArgs, images["web-v3"]]);

    const plan = await host.run("plan");
    expect(plan.stdout).toMatch(/~ gdt-sync-shop-api-1\s+replace\s+not running/);
    expect(plan.stdout).toMatch(/\+ gdt-sync-shop-api-2\s+create\s+missing/);
    expect(plan.stdout).toMatch(/~ gdt-sync-shop-worker-1\s+replace\s+image changed/);
    expect((await host.run("sync")).code).toBe(0);
    const shop = await containersOf(SHOP);
    expect(shop.every((c) => c.state === "running")).toBe(true);
    expect(shop.find((c) => c.name === `${SHOP}-worker-1`)?.image).toBe(images.sleeper);
    expect((await host.run("plan", ["--detailed-exitcode"])).code).toBe(0);
  });

  it("an invalid commit changes nothing and is reported with file:line:col, exit 4", async () => {
    const before = await host.ids(SHOP);
    await repo.write("hosts/h1/shop/compose.yaml", shopCompose({ web: "127.0.0.1:5000/gitdock-test/web-v1:latest" }));
    await repo.commit("unpinned image");
    const r = await host.run("sync");
    expect(r.code).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/hosts\/h1\/shop\/compose\.yaml:\d+:\d+: services\.web\.image: not pinned by digest/);
    expect(await host.ids(SHOP)).toEqual(before);
    // The next sync does not try it again; still rejected, still nothing changed.
    const again = await host.run("sync");
    expect(again.code).toBe(4);
    expect(await host.ids(SHOP)).toEqual(before);
  });

  it("a failed pull changes nothing", async () => {
    const before = await host.ids(SHOP);
    const missing = `127.0.0.1:5000/gitdock-test/nothing-here@sha256:${"e".repeat(64)}`;
    await repo.write("hosts/h1/shop/compose.yaml", shopCompose({ web: missing, withWorker: true }));
    await repo.commit("image that does not exist");
    const r = await host.run("sync");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not pull 1 image(s); nothing was changed");
    expect(await host.ids(SHOP)).toEqual(before);
    expect((await containersOf(SHOP)).every((c) => c.state === "running")).toBe(true);
  });

  it("a removed service and a removed stack are pruned, with the stack's network", async () => {
    await repo.write("hosts/h1/shop/compose.yaml", shopCompose({ web: testEnv().images["web-v2"], apiEnv: "two" }));
    await repo.remove(`hosts/h1/${BLOG}/compose.yml`);
    await repo.commit("drop worker and blog");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect((await containersOf(SHOP)).map((c) => c.name).sort()).toEqual([`${SHOP}-api-1`, `${SHOP}-api-2`, `${SHOP}-web-1`]);
    expect(await containersOf(BLOG)).toEqual([]);
    const networks = (await dockerClient().listNetworks()).map((n) => n.Name);
    expect(networks).not.toContain(`${BLOG}_front`);
    expect(networks).toContain(`${SHOP}_default`);
  });

  it("a foreign container holding a needed name is reported and never touched", async () => {
    const foreignName = `${SHOP}-cache-1`;
    await dockerCli(["run", "-d", "--init", "--name", foreignName, "--label", "owner=someone-else", testEnv().images.sleeper]);
    const foreignId = (await dockerCli(["inspect", "-f", "{{.Id}}", foreignName])).trim();
    await repo.write(
      "hosts/h1/shop/compose.yaml",
      `${shopCompose({ web: testEnv().images["web-v2"], apiEnv: "two" })}  cache:\n${webService(testEnv().images.sleeper)}\n`,
    );
    await repo.commit("add cache");
    const plan = await host.run("plan");
    expect(plan.stdout).toMatch(/! gdt-sync-shop-cache-1\s+conflict\s+name held by a container gitdock does not manage/);
    const r = await host.run("sync");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`conflict: ${foreignName} held by containers gitdock does not manage`);
    expect((await dockerCli(["inspect", "-f", "{{.Id}} {{.State.Status}}", foreignName])).trim()).toBe(`${foreignId} running`);
    await removeProjects(foreignName);
  });
});
