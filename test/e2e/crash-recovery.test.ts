/**
 * SIGKILL of `gitdock sync` at several points of a rollout, then a new sync: the host converges,
 * with nothing duplicated, orphaned or stopped for good.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, dockerCli } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { createTestHost, servedBy, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-kill-";

function stackFile(project: string, image: string, opts: { command?: string; timeout?: string } = {}): string {
  const extra = [
    "    x-gitdock:",
    "      probe:",
    "        http: {port: 8080, path: /healthz}",
    `      health_timeout: ${opts.timeout ?? "20s"}`,
    opts.command ? `    command: ${opts.command}` : "",
  ]
    .filter(Boolean)
    .join("\n");
  return `name: ${project}\nservices:\n  web:\n${webService(image, extra, { deploy: ["replicas: 2"] })}\n`;
}

/** A slow-starting v2: the gate is still waiting a few seconds after the container starts. */
const SLOW = `["sh", "-c", "sleep 3; exec httpd -f -p 8080 -h /www"]`;

const points: { name: string; image: "web-v2" | "web-unhealthy"; command?: string; killAfter: RegExp; exit: number; serves: string }[] = [
  {
    name: "after the old container was stopped and kept",
    image: "web-v2",
    command: SLOW,
    killAfter: /kept the previous \S+-web-1 as/,
    exit: 0,
    serves: "web-v2",
  },
  { name: "after the new container was created", image: "web-v2", command: SLOW, killAfter: /started \S+-web-1; waiting/, exit: 0, serves: "web-v2" },
  { name: "during the health gate of the second replica", image: "web-v2", command: SLOW, killAfter: /started \S+-web-2; waiting/, exit: 0, serves: "web-v2" },
  { name: "during the rollback of a failed release", image: "web-unhealthy", killAfter: /rolling back/, exit: 3, serves: "web-v1" },
];

/** A scenario's own repository and host, at v1 and synced before its test; removed after. */
function hostAtV1(project: string): { repo: ManifestRepo; host: TestHost } {
  const at = {} as { repo: ManifestRepo; host: TestHost };
  beforeAll(async () => {
    at.repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, project);
    at.host = await createTestHost({ prefix: `${project}-`, repo: at.repo.url });
    await at.repo.write("app/compose.yaml", stackFile(project, testEnv().images["web-v1"]));
    await at.repo.commit("v1");
    expect((await at.host.run("sync")).code).toBe(0);
  });
  afterAll(async () => {
    await at.host?.dispose();
    await at.repo?.dispose();
  });
  return at;
}

describe.each(points)("SIGKILL $name", ({ name, image, command, killAfter, exit, serves }) => {
  const slug = name
    .split(" ")
    .slice(0, 3)
    .join("-")
    .replace(/[^a-z-]/g, "");
  const project = `${P}${slug}`;
  const at = hostAtV1(project);

  it("a new sync converges with nothing lost", async () => {
    await at.repo.write("app/compose.yaml", stackFile(project, testEnv().images[image], { command, timeout: image === "web-unhealthy" ? "3s" : "20s" }));
    await at.repo.commit("next release");
    const sync = at.host.start("sync");
    try {
      await sync.waitForOutput(killAfter, 90_000);
    } finally {
      await sync.stop("SIGKILL", 5_000);
    }

    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(exit);
    const containers = await containersOf(project);
    expect(containers.map((c) => `${c.name} ${c.state}`).sort()).toEqual([`${project}-web-1 running`, `${project}-web-2 running`]);
    expect(await servedBy(`${project}-web-1`)).toBe(serves);
    expect(await servedBy(`${project}-web-2`)).toBe(serves);
    const plan = await at.host.run("plan", ["--detailed-exitcode"]);
    expect(plan.code, plan.stdout).toBe(0);
    const status = JSON.parse((await at.host.run("status", ["--json"])).stdout);
    expect(status.rollout).toBeUndefined();
  });
});

describe("kept containers left behind by a rollout that finished", () => {
  const project = `${P}leftover`;
  const at = hostAtV1(project);

  /** A stopped container carrying web-N's labels under the kept name, as a rollout leaves it before cleanup. */
  async function plantKept(n: number): Promise<string> {
    const live = (await containersOf(project)).find((c) => c.name === `${project}-web-${n}`);
    const labels = Object.entries(live?.labels ?? {}).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    const out = await dockerCli(["create", "--init", "--name", `${project}-web-${n}.gitdock-prev`, ...labels, testEnv().images["web-v1"]]);
    return out.trim();
  }

  it("are removed when the live container exists, and put back when it does not", async () => {
    await plantKept(1);
    const keptOfTwo = await plantKept(2);
    await dockerCli(["rm", "-f", `${project}-web-2`]);
    const liveOne = (await at.host.ids(project))[`${project}-web-1`];

    const r = await at.host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ids = await at.host.ids(project);
    expect(Object.keys(ids).sort()).toEqual([`${project}-web-1`, `${project}-web-2`]);
    expect(ids[`${project}-web-1`]).toBe(liveOne);
    expect(ids[`${project}-web-2`]).toBe(keptOfTwo);
    expect(await servedBy(`${project}-web-2`)).toBe("web-v1");
  });
});
