/**
 * Containers changed in place, on the real Engine with the real agent (`gitdock run`): a `docker
 * exec` into a managed container is reported within seconds (its command, never its environment),
 * a file written into the writable layer by `docker cp` is found by the next scan, a declared
 * writable path is not reported, and with `drift.in_place: replace` the changed container is
 * replaced from its image. Two agents, each with its own host id, state directory and project.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containersOf, dockerCli, dockerClient, removeProjects, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { readJournal } from "../support/journal.js";
import { startAgent, type AgentProcess } from "./helpers/agent-process.js";
import { createTestHost, servedBy, webService, type TestHost } from "./helpers/test-host.js";

const P = "gdt-ipd-";
/** Put into the exec's environment: it must appear nowhere gitdock writes. */
const EXEC_SECRET = "exec-env-value-8c1f2e";
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), `${P}tmp-`));
});
afterAll(async () => {
  await removeProjects(P);
  await rm(tmp, { recursive: true, force: true });
});

const journal = (host: TestHost) => readJournal(host.stateDir);

const inPlaceEntries = async (host: TestHost, container: string) =>
  (await journal(host)).filter((e) => e.action === "changed-in-place" && e.container === container);

/** `web` (with `image`), and `worker`, which may write under /scratch. */
function compose(project: string, image: string): string {
  return [
    `name: ${project}`,
    "services:",
    "  web:",
    webService(image),
    "  worker:",
    webService(testEnv().images.sleeper, "    x-gitdock:\n      writable_paths: [/scratch]"),
    "",
  ].join("\n");
}

async function idOf(project: string, name: string): Promise<string | undefined> {
  return (await containersOf(project)).find((c) => c.name === name)?.id;
}

function setup(name: string, mode: "report" | "replace", image: "web-v1" | "web-hc") {
  const project = `${P}${name}`;
  const at = {} as { repo: ManifestRepo; host: TestHost; agent: AgentProcess; commit: string; project: string };
  at.project = project;
  beforeAll(async () => {
    at.repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, project);
    at.host = await createTestHost({ prefix: `${project}-`, repo: at.repo.url });
    await at.repo.write("app/compose.yaml", compose(project, testEnv().images[image]));
    at.commit = await at.repo.commit("v1");
    at.agent = await startAgent(at.host, at.repo.url, {
      args: ["--interval", "1h"],
      configFile: path.join(tmp, `${name}.yaml`),
      config: `drift:\n  in_place: ${mode}\n  scan_interval: 2s\nagent:\n  repair_budget:\n    max: 10\n    window: 1h\n`,
    });
    await waitFor(
      async () =>
        (await containersOf(project)).filter((c) => c.state === "running").length === 2 &&
        JSON.parse((await at.host.run("status", ["--json", "--listen", at.agent.listen])).stdout).lastGood?.commit === at.commit,
      {
        what: `${project} running its first commit`,
        timeoutMs: 60_000,
      },
    );
    await settled(at.agent);
  });
  afterAll(async () => {
    await at.agent?.stop("SIGTERM", 30_000);
    await at.host?.dispose();
    await at.repo?.dispose();
  });
  return at;
}

async function settled(agent: AgentProcess): Promise<void> {
  await waitFor(
    async () => {
      const a = (await agent.get("/status")).json().agent;
      return a.phase === "idle" && !a.pending;
    },
    { what: "the agent idle with nothing pending" },
  );
}

async function inPlaceStatus(
  agent: AgentProcess,
): Promise<{ mode: string; scans: number; changed: { container: string; kinds: string[]; command?: string; layer?: Record<string, number> }[] }> {
  return (await agent.get("/status")).json().agent.inPlace;
}

describe("drift.in_place: report", () => {
  // web-hc's image has a Docker healthcheck, run every second as an exec.
  const at = setup("rep", "report", "web-hc");
  const web = () => `${at.project}-web-1`;
  const worker = () => `${at.project}-worker-1`;

  it("reports a docker exec within seconds, with its command and never its environment, and leaves the container", async () => {
    const before = await idOf(at.project, web());
    await dockerCli(["exec", "-e", `TOKEN_FOR_TEST=${EXEC_SECRET}`, web(), "cat", "/www/index.html"]);
    const entry = await waitFor(async () => (await inPlaceEntries(at.host, web()))[0], { what: "the exec journaled", timeoutMs: 15_000 });
    expect(entry).toMatchObject({
      commit: at.commit,
      outcome: "reported",
      reason: "exec: cat /www/index.html",
      data: { kind: "exec", command: "cat /www/index.html" },
    });
    expect(typeof entry.data?.["execId"]).toBe("string");
    const status = await inPlaceStatus(at.agent);
    expect(status.changed).toEqual([expect.objectContaining({ container: web(), kinds: ["exec"], command: "cat /www/index.html" })]);
    expect((await at.agent.metrics()).value("gitdock_changed_in_place_total", { kind: "exec" })).toBe(1);
    expect((await at.agent.metrics()).value("gitdock_containers_changed_in_place")).toBe(1);
    expect(at.agent.logs().some((l) => l["stage"] === "in-place" && l["container"] === web() && l["command"] === "cat /www/index.html")).toBe(true);
    // Reported, not replaced; and the exec's environment is nowhere.
    await settled(at.agent);
    expect(await idOf(at.project, web())).toBe(before);
    expect(await readFile(path.join(at.host.stateDir, "journal.jsonl"), "utf8")).not.toContain(EXEC_SECRET);
    expect(at.agent.proc.stderr()).not.toContain(EXEC_SECRET);
    expect((await at.agent.get("/status")).body).not.toContain(EXEC_SECRET);
  });

  it("does not count the execs of the image's Docker healthcheck", async () => {
    // The healthcheck runs every second as an exec: after three more of its runs, still only the exec above.
    const since = Date.now();
    await waitFor(
      async () => {
        const info = await dockerClient().getContainer(web()).inspect();
        return (info.State.Health?.Log ?? []).filter((r) => Date.parse(r.Start) > since).length >= 3;
      },
      { what: "three more healthcheck runs", timeoutMs: 20_000 },
    );
    await settled(at.agent);
    expect((await at.agent.metrics()).value("gitdock_changed_in_place_total", { kind: "exec" })).toBe(1);
    expect(await inPlaceEntries(at.host, web())).toHaveLength(1);
  });

  it("finds a file docker cp wrote into the writable layer on the next scan", async () => {
    const file = path.join(tmp, "planted.txt");
    await writeFile(file, "planted by hand\n");
    await dockerCli(["cp", file, `${web()}:/www/planted.txt`]);
    const entry = await waitFor(async () => (await inPlaceEntries(at.host, web())).find((e) => e.data?.["kind"] === "writable layer"), {
      what: "the writable layer journaled",
      timeoutMs: 15_000,
    });
    expect(entry).toMatchObject({ outcome: "reported", data: { kind: "writable layer", added: 1, changed: 0, deleted: 0 } });
    expect(entry.reason).toBe("writable layer: 1 added, 0 changed, 0 deleted outside its volumes, bind mounts, tmpfs and writable_paths");
    // The path is the container's own: only the local log's redacted excerpt names it, never the journal.
    const line = at.agent.logs().find((l) => l["stage"] === "in-place" && l["kind"] === "writable layer" && l["container"] === web());
    expect(line?.["excerpt"]).toBe("/www/planted.txt");
    expect(await readFile(path.join(at.host.stateDir, "journal.jsonl"), "utf8")).not.toContain("planted.txt");
    expect((await inPlaceStatus(at.agent)).changed).toEqual([
      expect.objectContaining({ container: web(), kinds: ["exec", "writable layer"], layer: { added: 1, changed: 0, deleted: 0 } }),
    ]);
    // Found once: later scans keep the container listed without journaling it again.
    const scans = (await inPlaceStatus(at.agent)).scans;
    await waitFor(async () => (await inPlaceStatus(at.agent)).scans >= scans + 2, { what: "two more scans", timeoutMs: 15_000 });
    expect((await inPlaceEntries(at.host, web())).filter((e) => e.data?.["kind"] === "writable layer")).toHaveLength(1);
  });

  it("does not report what changes under a declared writable path", async () => {
    const dir = path.join(tmp, "scratch");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "cache.bin"), "allowed\n");
    const scans = (await inPlaceStatus(at.agent)).scans;
    await dockerCli(["cp", dir, `${worker()}:/scratch`]);
    expect(await dockerCli(["diff", worker()])).toContain("A /scratch/cache.bin");
    // Every container was scanned again after the copy (the copy itself also asks for one).
    await waitFor(async () => (await inPlaceStatus(at.agent)).scans >= scans + 3, { what: "three more scans", timeoutMs: 15_000 });
    expect(await inPlaceEntries(at.host, worker())).toEqual([]);
    expect((await inPlaceStatus(at.agent)).changed.map((c) => c.container)).toEqual([web()]);
  });
});

describe("drift.in_place: replace", () => {
  const at = setup("rpl", "replace", "web-v1");
  const web = () => `${at.project}-web-1`;
  const worker = () => `${at.project}-worker-1`;

  it("replaces a container someone ran docker exec in, from its image", async () => {
    const before = await idOf(at.project, web());
    await dockerCli(["exec", web(), "sh", "-c", "echo edited > /www/index.html"]);
    const replaced = await waitFor(
      async () => {
        const c = (await containersOf(at.project)).find((x) => x.name === web());
        return c && c.id !== before && c.state === "running" ? c : undefined;
      },
      { what: `${web()} replaced`, timeoutMs: 30_000 },
    );
    expect(replaced.labels["gitdock.commit"]).toBe(at.commit);
    expect(await servedBy(web())).toBe("web-v1");
    await settled(at.agent);
    const entries = (await journal(at.host)).filter((e) => e.container === web());
    expect(entries.find((e) => e.action === "changed-in-place")).toMatchObject({ outcome: "replacing", reason: "exec: sh -c echo edited > /www/index.html" });
    expect(entries.find((e) => e.action === "replace" && e.outcome === "ok")?.reason).toBe("changed in place");
    const m = await at.agent.metrics();
    expect(m.value("gitdock_drift_repairs_total", { reason: "changed in place" })).toBe(1);
    expect(m.value("gitdock_containers_changed_in_place")).toBe(0);
    expect((await inPlaceStatus(at.agent)).changed).toEqual([]);
  });

  it("replaces a container whose writable layer a docker cp changed, found by a scan", async () => {
    const before = await idOf(at.project, worker());
    const file = path.join(tmp, "tool");
    await writeFile(file, "#!/bin/sh\n");
    await dockerCli(["cp", file, `${worker()}:/bin/tool`]);
    await waitFor(
      async () => {
        const c = (await containersOf(at.project)).find((x) => x.name === worker());
        return c && c.id !== before && c.state === "running";
      },
      { what: `${worker()} replaced`, timeoutMs: 30_000 },
    );
    const entry = (await inPlaceEntries(at.host, worker()))[0];
    expect(entry).toMatchObject({ outcome: "replacing", data: { kind: "writable layer", added: 1 } });
    expect(await dockerCli(["diff", worker()])).not.toContain("/bin/tool");
  });
});
