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
import { readJournal } from "../support/journal.js";
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
  function stackFile(opts: { web?: string; webEnv?: string; workerEnv?: string; extra?: string } = {}): string {
    return `name: ${project}
services:
  web:
    image: ${opts.web ?? image("web-hc")}
${opts.webEnv ? `    environment: { REV: "${opts.webEnv}" }\n` : ""}    deploy:
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
    const listed = await manager(["service", "ls", "--filter", `label=com.docker.stack.namespace=${project}`, "--format", "{{.Name}}"]);
    expect(listed.split("\n").filter(Boolean).sort()).toEqual([web, worker]);
    expect(new Set(await runningNodes(web)).size).toBe(3);
    const w = await service(web);
    expect(w.image).toBe(image("web-hc"));
    expect(w.labels["com.docker.stack.namespace"]).toBe(project);
    expect(w.labels["gitdock.commit"]).toBe(good);
    expect((await statusJson()).lastGood?.commit).toBe(good);
    // A plan compares with the Swarm's hashes: nothing to do, and `status` shows where the tasks run.
    const plan = await host.run("plan", ["--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/0 to create, 0 to update, 0 to remove, 2 unchanged/);
    const status = await host.run("status");
    expect(status.stdout).toMatch(/web\s+3\/3 running/);
    expect(status.stdout).toMatch(/worker\s+1\/1 running/);
  });

  it("a pass with nothing to change writes gitdock's state object twice: the lease taken, then the lease given back with the state", async () => {
    const [stateObject] = (await manager(["service", "ls", "--filter", "name=gitdock-state-", "--format", "{{.Name}}"])).split("\n").filter(Boolean);
    expect(stateObject).toBeDefined();
    const since = Date.now() / 1000;
    const r = await host.run("sync");
    expect(r.code, r.stderr).toBe(0);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = await manager([
      "events",
      "--since",
      since.toFixed(3),
      "--until",
      String(until),
      "--filter",
      "type=service",
      "--filter",
      `service=${stateObject}`,
      "--format",
      "{{.Action}}",
    ]);
    expect(events.split("\n").filter(Boolean)).toEqual(["update", "update"]);
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

  it("a service removed by hand is created again", async () => {
    await manager(["service", "rm", worker]);
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await service(worker)).env).toEqual(["MODE=two"]);
    await waitFor(async () => (await runningNodes(worker)).length === 1, { timeoutMs: 30_000, what: "worker running again" });
  });

  it("a worker whose Engine dies in the middle of a rollout: the services converge on the other nodes and the release is judged healthy", async () => {
    // Each slot of web's update takes its stop (1s grace) and a 4s watch; a slot Swarm's updater gave
    // the dead node stalls until the gate starts the update afresh.
    const file = stackFile({ workerEnv: "two", webEnv: "2" })
      .replace("monitor: 1s, parallelism: 3", "monitor: 4s, parallelism: 1")
      .replace(
        "      endpoint_mode: dnsrr\n    x-gitdock: { health_timeout: 60s }",
        "      endpoint_mode: dnsrr\n    init: true\n    stop_grace_period: 1s\n    x-gitdock: { health_timeout: 120s }",
      );
    await repo.write("shop/compose.yaml", file);
    good = await repo.commit("web: a new revision, one task at a time, each watched for 4s");
    const sync = host.start("sync");
    try {
      await sync.waitForOutput(/updated service gdt-swe-shop_web/, 60_000);
      await cluster.killEngine("w2");
      // Waits for the sync to end by itself (SIGCONT changes nothing; the bound SIGKILLs it).
      const done = await sync.stop("SIGCONT", 170_000);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect((await statusJson()).lastGood?.commit).toBe(good);
      const w2 = cluster.node("w2").nodeId;
      await waitFor(
        async () => {
          const nodes = await runningNodes(web);
          return nodes.length === 3 && !nodes.includes(w2);
        },
        { timeoutMs: 90_000, what: "web's three tasks running on the remaining nodes" },
      );
    } finally {
      await sync.stop("SIGKILL", 5_000);
      await cluster.startEngine("w2");
    }
  }, 300_000);

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

  it("gitdock's HTTP probe reaches every task at its node's address: a release whose tasks answer 404 is put back", async () => {
    const api = (img: string) => `  api:
    image: ${img}
    init: true
    stop_grace_period: 1s
    ports:
      - { target: 8080, published: 18080, mode: host }
    deploy:
      replicas: 2
      update_config: { monitor: 1s }
    x-gitdock: { health_timeout: 30s, probe: { http: { port: 8080, path: /healthz } } }
`;
    await repo.write("shop/compose.yaml", stackFile({ extra: api(image("web-hc")) }));
    const probed = await repo.commit("api, probed on /healthz on every node");
    const r = await host.run("sync");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await statusJson()).lastGood?.commit).toBe(probed);
    expect((await runningNodes(`${project}_api`)).length).toBe(2);

    // No Docker healthcheck in this image: only the probe tells that /healthz is missing.
    await repo.write("shop/compose.yaml", stackFile({ extra: api(cluster.image(testEnv().images["web-unhealthy"])) }));
    const bad = await repo.commit("api: an image without /healthz");
    const failed = await host.run("sync");
    expect(failed.code, failed.stdout + failed.stderr).toBe(3);
    expect((await statusJson()).failed[bad]?.reason).toMatch(/api: did not converge within 30s: .*probe: http 404 on \/healthz .*\(task on 10\.231\./);
    expect((await service(`${project}_api`)).image).toBe(image("web-hc"));
  });

  it("a release that cannot run while the only node it may use is down is put back and not held; once the node is back, it is applied", async () => {
    const pinnedName = `${project}_pinned`;
    const pinned = (rev: string) => `  pinned:
    image: ${image("sleeper")}
    init: true
    stop_grace_period: 1s
    environment: { REV: "${rev}" }
    deploy:
      placement: { constraints: [node.labels.zone == b] }
      update_config: { monitor: 1s }
      endpoint_mode: dnsrr
    x-gitdock: { health_timeout: 15s }
`;
    const w2 = cluster.node("w2");
    await manager(["node", "update", "--label-add", "zone=b", w2.nodeId]);
    await repo.write("shop/compose.yaml", stackFile({ extra: pinned("1") }));
    good = await repo.commit("pinned: a service only node w2 may run");
    const first = await host.run("sync");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await runningNodes(pinnedName)).toEqual([w2.nodeId]);

    await cluster.killEngine(w2, { containers: true });
    try {
      await cluster.waitForNodeState(w2, "down");
      await repo.write("shop/compose.yaml", stackFile({ extra: pinned("2") }));
      const waiting = await repo.commit("pinned: revision 2");
      const r = await host.run("sync");
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /waited for Swarm nodes that are not ready: .*pinned: did not converge within 15s: 0\/1 tasks of the new spec running \(1 node\(s\) not ready\)/,
      );
      expect(r.stderr).toContain("Not held against the commit");
      expect((await service(pinnedName)).env).toEqual(["REV=1"]);
      const status = await statusJson();
      expect(status.failed[waiting]).toBeUndefined();
      expect(status.lastGood?.commit).toBe(good);
    } finally {
      await cluster.startEngine(w2);
    }
    await cluster.waitForNodeState(w2, "ready");
    // What was put back waited for the node: Swarm runs the last good spec on it again by itself.
    await waitFor(async () => (await runningNodes(pinnedName)).includes(w2.nodeId), { timeoutMs: 120_000, what: "pinned (REV=1) running on w2 again" });
    expect((await service(pinnedName)).env).toEqual(["REV=1"]);
    const again = await host.run("sync");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await service(pinnedName)).env).toEqual(["REV=2"]);
    expect(await runningNodes(pinnedName)).toEqual([w2.nodeId]);
    expect((await statusJson()).lastGood?.commit).toBe(await repo.head());
  }, 360_000);
});

describe("engine: swarm — the agent killed in the middle of a rollout, started on the other manager", () => {
  const HA = `${P}ha-`;
  const haProject = `${HA}app`;
  let cluster: SwarmCluster;
  let repo: ManifestRepo;
  let onFirst: TestHost;
  let onSecond: TestHost;

  /** One service; `rev` changes its task template, and each task is watched for 3s. */
  const stackFile = (rev: string) => `name: ${haProject}
services:
  web:
    image: ${cluster.image(testEnv().images["web-hc"])}
    environment: { REV: "${rev}" }
    deploy:
      replicas: 2
      update_config: { monitor: 3s, parallelism: 1 }
      endpoint_mode: dnsrr
    x-gitdock: { health_timeout: 60s }
`;
  const webEnv = async () => {
    const [s] = JSON.parse(await cluster.docker(cluster.manager, ["service", "inspect", `${haProject}_web`])) as {
      Spec: { TaskTemplate: { ContainerSpec: { Env: string[] } } };
    }[];
    return s!.Spec.TaskTemplate.ContainerSpec.Env;
  };

  beforeAll(async () => {
    cluster = await startSwarmCluster({ name: "swarm-ha", managers: 2, workers: 1 });
    repo = await createManifestRepo({ url: testEnv().gitUrl, root: testEnv().gitRoot }, `${HA}repo`);
    // The same agent (host id) on each manager, each with a state directory of its own.
    const config = (manager: string) => `engine: swarm\ndocker_host: ${cluster.node(manager).dockerHost}\n`;
    onFirst = await createTestHost({ prefix: HA, repo: repo.url, config: config("m1") });
    onSecond = await createTestHost({ prefix: HA, repo: repo.url, config: config("m2") });
  }, 240_000);

  afterAll(async () => {
    await onFirst?.dispose();
    await onSecond?.dispose();
    await repo?.dispose();
    await cluster?.stop();
  }, 240_000);

  it("the agent on the other manager waits out the lease, goes back to the last good commit, then rolls the release out behind its gate", async () => {
    await repo.write("app/compose.yaml", stackFile("1"));
    const first = await repo.commit("rev 1");
    expect((await onFirst.run("sync")).code).toBe(0);

    await repo.write("app/compose.yaml", stackFile("2"));
    const second = await repo.commit("rev 2");
    const killed = onFirst.start("sync");
    try {
      await killed.waitForOutput(/updated service gdt-swe-ha-app_web/, 60_000);
    } finally {
      await killed.stop("SIGKILL", 5_000);
    }

    // The killed agent's lease runs out (30s); until then the other agent changes nothing.
    const waiting = await onSecond.run("sync");
    expect(waiting.code, waiting.stdout + waiting.stderr).toBe(5);
    expect(waiting.stdout + waiting.stderr).toContain("another gitdock agent");
    let done = waiting;
    await waitFor(
      async () => {
        done = await onSecond.run("sync");
        return done.code !== 5;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, what: "the lease of the killed agent to run out" },
    );
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const journal = await readJournal(onSecond.stateDir);
    const outcomes = journal.map((e) => `${e.action} ${e.outcome} ${e.commit.slice(0, 12)}`);
    // Taken over from the Swarm: the last good commit the first agent recorded there.
    expect(outcomes).toContain(`state adopted ${first.slice(0, 12)}`);
    // The interrupted rollout undone, then the release rolled out whole.
    expect(outcomes).toContain(`recover ok ${second.slice(0, 12)}`);
    expect(outcomes.indexOf(`recover ok ${second.slice(0, 12)}`)).toBeLessThan(outcomes.lastIndexOf(`sync healthy ${second.slice(0, 12)}`));
    expect(await webEnv()).toEqual(["REV=2"]);
    const status = JSON.parse((await onSecond.run("status", ["--json"])).stdout) as { lastGood?: { commit: string } };
    expect(status.lastGood?.commit).toBe(second);
  });
});
