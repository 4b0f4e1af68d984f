/**
 * `engine: swarm` on a real multi-node Swarm (a manager and two workers, each its own Engine in its
 * own network namespace: test/support/swarm-cluster.ts), images pulled by every node from the
 * registry on the cluster's bridge, the repository on the real Git server. One cluster for the
 * file; the scenarios run in order on one stack, as a team's releases would.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { createManifestRepo, type ManifestRepo } from "../support/manifest-repo.js";
import { startSwarmCluster, type SwarmCluster } from "../support/swarm-cluster.js";
import { createTestHost, type TestHost } from "./helpers/test-host.js";

const P = "gdt-swe-";
const project = `${P}shop`;
const web = `${project}_web`;
const worker = `${project}_worker`;

interface ServiceView {
  image: string;
  env: string[];
  replicas: number | undefined;
  version: number;
  secrets: string[];
  labels: Record<string, string>;
}

/** The agent's config: the Swarm's manager, and this test's directory for secret files on the host. */
function swarmConfig(cluster: SwarmCluster, secretDir: string): string {
  return `engine: swarm\ndocker_host: ${cluster.manager.dockerHost}\nsecurity:\n  policy:\n    secret_roots: [${secretDir}]\n`;
}

describe("engine: swarm drives a multi-node Swarm", () => {
  let cluster: SwarmCluster;
  let repo: ManifestRepo;
  let host: TestHost;
  let secretDir: string;
  let good: string;

  const image = (name: "web-hc" | "web-hc-bad" | "sleeper") => cluster.image(testEnv().images[name]);
  const manager = (args: string[]) => cluster.docker(cluster.manager, args);

  /** web (3 replicas, a Docker healthcheck) and worker (mounts a secret from this host), on the stack's overlay network. */
  function stackFile(opts: { web?: string; workerEnv?: string; extra?: string } = {}): string {
    return `name: ${project}
services:
  web:
    image: ${opts.web ?? image("web-hc")}
    deploy:
      replicas: 3
      placement:
        preferences: [{ spread: node.id }]
      update_config: { monitor: 1s, parallelism: 3 }
      endpoint_mode: dnsrr
    x-gitdock: { health_timeout: 60s }
  worker:
    image: ${image("sleeper")}
    environment: { MODE: "${opts.workerEnv ?? "one"}" }
    secrets: [token]
    deploy:
      update_config: { monitor: 1s }
      endpoint_mode: dnsrr
    x-gitdock: { health_timeout: 60s }
${opts.extra ?? ""}secrets:
  token:
    file: ${path.join(secretDir, "token")}
`;
  }

  async function service(name: string): Promise<ServiceView> {
    const [s] = JSON.parse(await manager(["service", "inspect", name])) as {
      Version: { Index: number };
      Spec: {
        Labels: Record<string, string>;
        Mode: { Replicated?: { Replicas: number } };
        TaskTemplate: { ContainerSpec: { Image: string; Env?: string[]; Secrets?: { SecretName: string }[] } };
      };
    }[];
    const c = s!.Spec.TaskTemplate.ContainerSpec;
    return {
      image: c.Image,
      env: c.Env ?? [],
      replicas: s!.Spec.Mode.Replicated?.Replicas,
      version: s!.Version.Index,
      secrets: (c.Secrets ?? []).map((x) => x.SecretName),
      labels: s!.Spec.Labels,
    };
  }

  /** The nodes running a service's tasks, by node id (every node reports the machine's hostname). */
  async function runningNodes(name: string): Promise<string[]> {
    const ids = await taskIdsOf(name);
    if (!ids.length) return [];
    const out = await manager(["inspect", "--format", "{{.NodeID}} {{.Status.State}}", ...ids]);
    return out
      .split("\n")
      .filter((l) => l.endsWith(" running"))
      .map((l) => l.split(" ")[0] as string);
  }

  async function taskIdsOf(name: string): Promise<string[]> {
    return (await manager(["service", "ps", name, "-q", "--filter", "desired-state=running"])).split("\n").filter(Boolean).sort();
  }

  async function statusJson(): Promise<{
    failed: Record<string, { reason: string }>;
    rejected: Record<string, { reason: string }>;
    lastGood?: { commit: string };
  }> {
    const r = await host.run("status", ["--json"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  beforeAll(async () => {
    cluster = await startSwarmCluster({ name: "swarm-engine", managers: 1, workers: 2 });
    secretDir = await mkdtemp(path.join(os.tmpdir(), `${P}secrets-`));
    await writeFile(path.join(secretDir, "token"), "first-token\n", { mode: 0o600 });
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${P}repo`);
    host = await createTestHost({ prefix: P, repo: repo.url, config: swarmConfig(cluster, secretDir) });
  }, 240_000);

  afterAll(async () => {
    await host?.dispose();
    await repo?.dispose();
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
    await cluster?.stop();
  }, 240_000);

  it("the first deploy spreads the tasks across the nodes, and docker stack ls lists the stack", async () => {
    await repo.write("shop/compose.yaml", stackFile());
    good = await repo.commit("first release");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(await manager(["stack", "ls", "--format", "{{.Name}} {{.Services}}"])).toContain(`${project} 2`);
    expect((await manager(["service", "ls", "--format", "{{.Name}}"])).split("\n").filter(Boolean).sort()).toEqual([web, worker]);
    expect(new Set(await runningNodes(web)).size).toBe(3);
    const w = await service(web);
    expect(w.image).toBe(image("web-hc"));
    expect(w.labels["com.docker.stack.namespace"]).toBe(project);
    expect(w.labels["gitdock.commit"]).toBe(good);
    expect((await statusJson()).lastGood?.commit).toBe(good);
  });

  it("a release updates exactly the services its commit changed", async () => {
    const webBefore = await service(web);
    const webTasks = await taskIdsOf(web);
    await repo.write("shop/compose.yaml", stackFile({ workerEnv: "two" }));
    good = await repo.commit("worker: mode two");
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect((await service(worker)).env).toEqual(["MODE=two"]);
    const webAfter = await service(web);
    expect(webAfter.version).toBe(webBefore.version);
    expect(await taskIdsOf(web)).toEqual(webTasks);
  });

  it("a secret's new content rotates it: a new Swarm secret, mounted, and the old one gone", async () => {
    const before = (await service(worker)).secrets;
    expect(before).toHaveLength(1);
    await writeFile(path.join(secretDir, "token"), "second-token\n", { mode: 0o600 });
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    const after = (await service(worker)).secrets;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(new RegExp(`^${project}_token_[0-9a-f]{12}$`));
    expect(after[0]).not.toBe(before[0]);
    const secrets = (await manager(["secret", "ls", "--format", "{{.Name}}"])).split("\n");
    expect(secrets).toContain(after[0]);
    expect(secrets).not.toContain(before[0]);
    // The content is the new one, where the task runs.
    const [task] = JSON.parse(await manager(["inspect", (await taskIdsOf(worker))[0] as string])) as {
      NodeID: string;
      Status: { ContainerStatus: { ContainerID: string } };
    }[];
    const node = cluster.nodes.find((n) => n.nodeId === task!.NodeID)!;
    expect(await cluster.docker(node, ["exec", task!.Status.ContainerStatus.ContainerID, "cat", "/run/secrets/token"])).toBe("second-token\n");
  });

  it("a service changed by hand (image, scale) is put back, and nothing else is touched", async () => {
    const workerVersion = (await service(worker)).version;
    await manager(["service", "update", "--detach", "--image", image("sleeper"), web]);
    await manager(["service", "scale", "--detach", `${web}=1`]);
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain("changed outside gitdock");
    const w = await service(web);
    expect(w.image).toBe(image("web-hc"));
    expect(w.replicas).toBe(3);
    expect(new Set(await runningNodes(web)).size).toBe(3);
    expect((await service(worker)).version).toBe(workerVersion);
  });

  it("a hostile commit (a bind of / into a service) is refused before anything changes", async () => {
    const before = [await service(web), await service(worker)].map((s) => s.version);
    await repo.write(
      "shop/compose.yaml",
      stackFile({ workerEnv: "three" }).replace("    secrets: [token]\n", "    secrets: [token]\n    volumes: [/:/host]\n"),
    );
    const hostile = await repo.commit("mount the node's root");
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/shop\/compose\.yaml:\d+:\d+/);
    expect([await service(web), await service(worker)].map((s) => s.version)).toEqual(before);
    expect((await statusJson()).rejected[hostile]?.reason).toMatch(/policy/);
  });

  it("a release in which one of two changed services is unhealthy puts both back at the last good spec, and is not retried", async () => {
    const lastGood = [await service(web), await service(worker)];
    await repo.write("shop/compose.yaml", stackFile({ web: image("web-hc-bad"), workerEnv: "four" }));
    const bad = await repo.commit("web: an image whose healthcheck fails");
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const [w, k] = [await service(web), await service(worker)];
    expect(w.image).toBe(lastGood[0]!.image);
    expect(k.env).toEqual(lastGood[1]!.env);
    await waitFor(async () => new Set(await runningNodes(web)).size === 3, { timeoutMs: 60_000, what: "web back on three nodes" });
    const status = await statusJson();
    expect(status.failed[bad]?.reason).toMatch(/web/);
    expect(status.lastGood?.commit).toBe(good);
    // The branch has not moved: the next pass applies nothing.
    const versions = [w.version, k.version];
    const again = await host.run("sync");
    expect(again.code).toBe(3);
    expect(again.stdout + again.stderr).toContain("held");
    expect([await service(web), await service(worker)].map((s) => s.version)).toEqual(versions);
  });
});
