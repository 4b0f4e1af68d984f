/**
 * The multi-node Swarm harness (test/support/swarm-cluster.ts) does what the Swarm scenarios rely
 * on: every node Ready and told apart by id and label, images pulled on every node from the bridge
 * registry by digest, overlay networking between nodes, a killed worker reported Down with its
 * task moved, quorum as documented for 2 and 3 managers, and nothing left after stop().
 */
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerCli, waitFor } from "../support/docker.js";
import { testEnv } from "../support/env.js";
import { cleanupStaleSwarmClusters, startSwarmCluster, type SwarmCluster, type SwarmNode } from "../support/swarm-cluster.js";

const P = "gdt-swarm-cluster-";
const execFileP = promisify(execFile);

interface Task {
  nodeId: string;
  state: string;
}

/** The tasks of `service` whose desired state is running, as the first answering manager sees them. */
async function runningTasks(cluster: SwarmCluster, service: string, manager: SwarmNode = cluster.manager): Promise<Task[]> {
  const ids = (await cluster.docker(manager, ["service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", service])).split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  const lines = (await cluster.docker(manager, ["inspect", "--format", "{{.NodeID}} {{.Status.State}}", ...ids])).split("\n").filter(Boolean);
  return lines.map((l) => {
    const [nodeId = "", state = ""] = l.split(" ");
    return { nodeId, state };
  });
}

/** Waits until `service` has `count` running tasks, all in state running; returns them. */
async function waitRunning(cluster: SwarmCluster, service: string, count: number, accept: (t: Task[]) => boolean = () => true): Promise<Task[]> {
  return waitFor(
    async () => {
      const tasks = await runningTasks(cluster, service);
      return tasks.length === count && tasks.every((t) => t.state === "running") && accept(tasks) ? tasks : null;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `${count} running tasks of ${service}` },
  );
}

async function nodeRows(cluster: SwarmCluster, manager: SwarmNode): Promise<{ id: string; status: string; manager: string; label: string }[]> {
  const ids = (await cluster.docker(manager, ["node", "ls", "-q"])).split("\n").filter(Boolean);
  const out = await cluster.docker(manager, [
    "node",
    "inspect",
    "--format",
    '{{.ID}}|{{.Status.State}}|{{if .ManagerStatus}}{{.ManagerStatus.Reachability}}{{end}}|{{index .Spec.Labels "name"}}',
    ...ids,
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [id = "", status = "", mgr = "", label = ""] = l.split("|");
      return { id, status, manager: mgr, label };
    });
}

/** Whether `pid` runs (a zombie does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function pidIn(file: string): Promise<number> {
  return Number((await readFile(file, "utf8")).trim());
}

/** Pids whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(text)) pids.push(Number(e));
  }
  return pids;
}

async function registryAnswers(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(3_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Creates a replicated service from a test image (through the bridge registry) and returns its name. */
async function createService(cluster: SwarmCluster, name: string, image: string, args: string[]): Promise<string> {
  // a 1 s stop grace period: busybox as PID 1 ignores SIGTERM, and every move of a task would wait 10 s
  await cluster.docker(cluster.manager, ["service", "create", "--detach", "--name", name, "--stop-grace-period", "1s", ...args, cluster.image(image)]);
  return name;
}

/** The host Engine's swarm state and node id (other tests may run a single-node swarm on it; the cluster must not touch it). */
async function hostSwarm(): Promise<string> {
  return (await dockerCli(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}"])).trim();
}

describe("a cluster of 1 manager and 2 workers", () => {
  let cluster: SwarmCluster;
  let hostSwarmBefore: string;
  beforeAll(async () => {
    hostSwarmBefore = await hostSwarm();
    cluster = await startSwarmCluster({ name: `${P}1m2w`, managers: 1, workers: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("comes up with 3 Ready nodes, one per Engine, each labelled with its name, and leaves the host Engine's swarm state as it was", async () => {
    expect(await hostSwarm()).toBe(hostSwarmBefore);
    expect(cluster.nodes.map((n) => n.nodeId)).not.toContain(hostSwarmBefore.split(" ")[1]);
    expect(cluster.nodes.map((n) => `${n.name}:${n.role}`)).toEqual(["m1:manager", "w1:worker", "w2:worker"]);
    expect(cluster.manager.name).toBe("m1");
    const rows = await nodeRows(cluster, cluster.manager);
    expect(rows.map((r) => `${r.label}:${r.status}:${r.manager}`).sort()).toEqual(["m1:ready:reachable", "w1:ready:", "w2:ready:"]);
    for (const n of cluster.nodes) {
      expect(rows.find((r) => r.label === n.name)?.id).toBe(n.nodeId);
      expect((await cluster.docker(n, ["info", "--format", "{{.Swarm.NodeAddr}}"])).trim()).toBe(n.address);
    }
    expect(new Set(cluster.nodes.map((n) => n.nodeId)).size).toBe(3);
  });

  it("runs one task of a 3-replica spread service on each node, every node pulling the pinned image from the bridge registry", async () => {
    const image = testEnv().images.sleeper;
    expect(cluster.image(image)).toBe(image.replace("127.0.0.1:5000/", `${cluster.registry}/`));
    const svc = await createService(cluster, `${P}spread`, image, ["--replicas", "3", "--mode", "replicated", "--placement-pref", "spread=node.id"]);
    const tasks = await waitRunning(cluster, svc, 3);
    expect(tasks.map((t) => t.nodeId).sort()).toEqual(cluster.nodes.map((n) => n.nodeId).sort());
    for (const n of cluster.nodes) {
      const digests = await cluster.docker(n, ["image", "ls", "--digests", "--format", "{{.Repository}}@{{.Digest}}"]);
      expect(digests.split("\n")).toContain(cluster.image(image));
    }
  });

  it("lets a service on an overlay network (dnsrr) reach another service by name on another node", async () => {
    const net = `${P}net`;
    await cluster.docker(cluster.manager, ["network", "create", "--driver", "overlay", net]);
    const web = await createService(cluster, `${P}web`, testEnv().images["web-v1"], [
      "--network",
      net,
      "--endpoint-mode",
      "dnsrr",
      "--constraint",
      "node.labels.name==w1",
    ]);
    const client = await createService(cluster, `${P}client`, testEnv().images.sleeper, [
      "--network",
      net,
      "--endpoint-mode",
      "dnsrr",
      "--constraint",
      "node.labels.name==w2",
    ]);
    expect((await waitRunning(cluster, web, 1))[0]?.nodeId).toBe(cluster.node("w1").nodeId);
    expect((await waitRunning(cluster, client, 1))[0]?.nodeId).toBe(cluster.node("w2").nodeId);
    const container = (await cluster.docker("w2", ["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${client}`])).trim();
    expect(container).toMatch(/^[0-9a-f]{12}$/);
    // no `wget -T`: the static busybox's wget crashes (SIGSEGV) with it; the CLI call's own timeout bounds it
    const page = await waitFor(() => cluster.docker("w2", ["exec", container, "wget", "-q", "-O-", `http://${web}:8080/`], { timeoutMs: 10_000 }), {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: `${client} on w2 fetching http://${web}:8080/ (on w1) over ${net}`,
    });
    expect(page.trim()).toBe("web-v1");
  });

  it("cleanupStaleSwarmClusters() removes a cluster whose owner process is gone, and leaves a live one alone", async () => {
    const orphan = await startSwarmCluster({ name: `${P}orphan`, managers: 1, workers: 0 });
    try {
      expect(orphan.index).not.toBe(cluster.index);
      expect(orphan.bridge).not.toBe(cluster.bridge);
      // the owner "crashes": its record now names a process that has exited
      const dead = spawnSync("true").pid;
      await writeFile(path.join(orphan.dir, "owner.json"), JSON.stringify({ pid: dead, startTime: null, name: `${P}orphan` }));
      const orphanEngine = await pidIn(path.join(orphan.dir, "m1", "docker.pid"));

      expect(await cleanupStaleSwarmClusters()).toContain(orphan.index);

      expect(alive(orphanEngine)).toBe(false);
      expect(existsSync(orphan.dir)).toBe(false);
      expect(existsSync(`/run/netns/${orphan.manager.netns}`)).toBe(false);
      expect(existsSync(`/sys/class/net/${orphan.bridge}`)).toBe(false);
      expect((await cluster.docker(cluster.manager, ["node", "ls", "-q"])).split("\n").filter(Boolean)).toHaveLength(3);
      expect(existsSync(`/sys/class/net/${cluster.bridge}`)).toBe(true);
    } finally {
      await orphan.stop();
    }
  });

  it("reports a worker killed with its containers as Down and moves its task to the other nodes; started again, it is Ready", async () => {
    const svc = `${P}spread`;
    const w2 = cluster.node("w2");
    const task = (await cluster.docker(w2, ["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${svc}`])).trim();
    const taskPid = Number((await cluster.docker(w2, ["inspect", "--format", "{{.State.Pid}}", task])).trim());
    expect(alive(taskPid)).toBe(true);
    await cluster.killEngine(w2, { containers: true });
    expect(alive(taskPid)).toBe(false);
    await cluster.waitForNodeState(w2, "down");
    const moved = await waitRunning(cluster, svc, 3, (tasks) => tasks.every((t) => t.nodeId !== w2.nodeId));
    const others = [cluster.node("m1").nodeId, cluster.node("w1").nodeId];
    expect(moved.every((t) => others.includes(t.nodeId))).toBe(true);
    await cluster.startEngine(w2);
    expect((await cluster.docker(cluster.manager, ["node", "inspect", "--format", "{{.Status.State}}", w2.nodeId])).trim()).toBe("ready");
    expect((await cluster.docker(w2, ["info", "--format", "{{.Swarm.LocalNodeState}}"])).trim()).toBe("active");
  });

  it("stop() leaves no namespace, bridge, veth, dockerd, containerd, registry, iptables rule or directory behind, and may be called again", async () => {
    const enginePids = await Promise.all(cluster.nodes.map((n) => pidIn(path.join(cluster.dir, n.name, "docker.pid"))));
    const registryPid = await pidIn(path.join(cluster.dir, "registry.pid"));
    expect([...enginePids, registryPid].every(alive)).toBe(true);
    expect(await processesMentioning(cluster.dir)).not.toEqual([]);

    await cluster.stop();

    expect((await readdir("/run/netns").catch(() => [])).filter((n) => n.startsWith(`${cluster.bridge}-`))).toEqual([]);
    expect((await readdir("/sys/class/net")).filter((n) => n === cluster.bridge || n.startsWith(`${cluster.bridge}-`))).toEqual([]);
    expect([...enginePids, registryPid].filter(alive)).toEqual([]);
    expect(await processesMentioning(cluster.dir)).toEqual([]);
    expect((await execFileP("iptables", ["-S", "DOCKER-USER"])).stdout).not.toContain(`-i ${cluster.bridge} `);
    expect(await registryAnswers(cluster.registry)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);

    await cluster.stop();
  });
});

describe("a cluster of 2 managers and 1 worker", () => {
  let cluster: SwarmCluster;
  beforeAll(async () => {
    cluster = await startSwarmCluster({ name: `${P}2m1w`, managers: 2, workers: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("comes up with 3 Ready nodes, both managers reachable and either one answering for the swarm", async () => {
    expect(cluster.nodes.map((n) => `${n.name}:${n.role}`)).toEqual(["m1:manager", "m2:manager", "w1:worker"]);
    for (const m of ["m1", "m2"]) {
      const rows = await nodeRows(cluster, cluster.node(m));
      expect(rows.map((r) => `${r.label}:${r.status}:${r.manager}`).sort()).toEqual(["m1:ready:reachable", "m2:ready:reachable", "w1:ready:"]);
    }
  });

  it("has no leader while one of its two managers is down, as the harness documents", async () => {
    await cluster.killEngine("m2");
    await waitFor(
      () =>
        cluster.docker("m1", ["node", "ls"], { timeoutMs: 10_000 }).then(
          () => null,
          (err: Error) => /does not have a leader/.test(err.message),
        ),
      { timeoutMs: 60_000, intervalMs: 500, what: "m1 to refuse node ls: the swarm has no leader" },
    );
    await expect(cluster.docker("m1", ["node", "update", "--label-add", "gdt=1", cluster.node("w1").nodeId], { timeoutMs: 20_000 })).rejects.toThrow(
      /does not have a leader/,
    );
    // (recovery is left out: m2 back takes another ~25 s to be Ready with every node; stop() copes with a leaderless swarm)
  });
});

describe("a cluster of 3 managers", () => {
  let cluster: SwarmCluster;
  beforeAll(async () => {
    cluster = await startSwarmCluster({ name: `${P}3m`, managers: 3, workers: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("keeps quorum when one manager's Engine is killed: the others report it Down and still schedule; started again, it rejoins", async () => {
    const rows = await nodeRows(cluster, cluster.manager);
    expect(rows.map((r) => `${r.label}:${r.status}:${r.manager}`).sort()).toEqual(["m1:ready:reachable", "m2:ready:reachable", "m3:ready:reachable"]);
    await cluster.killEngine("m3");
    await cluster.waitForNodeState("m3", "down");
    const svc = await createService(cluster, `${P}after-m3`, testEnv().images.sleeper, ["--replicas", "2"]);
    const tasks = await waitRunning(cluster, svc, 2);
    expect(tasks.every((t) => t.nodeId !== cluster.node("m3").nodeId)).toBe(true);
    await cluster.startEngine("m3");
    const back = await waitFor(
      async () => {
        const r = await nodeRows(cluster, cluster.node("m2"));
        return r.every((n) => n.status === "ready" && n.manager === "reachable") ? r : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: "m3 Ready and reachable again" },
    );
    expect(back.map((r) => r.label).sort()).toEqual(["m1", "m2", "m3"]);
  });
});
