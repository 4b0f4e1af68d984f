/**
 * judgeTasks: what a service's tasks say about the spec gitdock just sent. Converged when every task
 * it should run is a task of the new spec, running, and nothing else runs; failed at once when a
 * task of the new spec failed or was rejected, or Swarm stopped the update; waiting otherwise.
 */
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { desiredSwarm } from "../../src/swarm/desired-services.js";
import { failedTaskIds, judgeTasks, type SwarmTask } from "../../src/swarm/swarm-gate.js";
import { IMAGE_V1, IMAGE_V2, KEY, resolve, service, stack } from "./helpers/fake-state.js";
import { AGENT, onSwarm } from "./helpers/fake-swarm.js";

type JsonObject = Record<string, unknown>;

function sentFor(image: string, env: Record<string, string> = { MODE: "live" }) {
  const st = stack("shop", [onSwarm(service("web", { replicas: 2, spec: { image, environment: env } }))]);
  const web = desiredSwarm(resolve("c1", [st]), AGENT, KEY).services[0];
  if (!web) throw new Error("no web");
  return web;
}
const NEW = sentFor(IMAGE_V2);
const OLD = sentFor(IMAGE_V1);

/** A task created from `template` (its Spec is the task template the service had then). */
function task(template: JsonObject, state: string, desired = "running", extra: Partial<SwarmTask> & { ID?: string } = {}): SwarmTask {
  return { DesiredState: desired, Status: { State: state }, Spec: structuredClone(template), ...extra };
}
const newTask = (state: string, desired = "running", extra: Partial<SwarmTask> & { ID?: string } = {}) => task(NEW.template, state, desired, extra);
const oldTask = (state: string, desired = "running") => task(OLD.template, state, desired);

function svc(opts: { replicas?: number; global?: boolean; update?: string } = {}): Docker.Service {
  const mode = opts.global ? { Global: {} } : { Replicated: { Replicas: opts.replicas ?? 2 } };
  return { Spec: { Mode: mode }, ...(opts.update ? { UpdateStatus: { State: opts.update } } : {}) } as unknown as Docker.Service;
}

const judge = (service: Docker.Service, tasks: SwarmTask[]) => judgeTasks(service, tasks, NEW);

describe("judgeTasks", () => {
  const cases: { name: string; service: Docker.Service; tasks: SwarmTask[]; converged: boolean; failure?: string; progress?: string }[] = [
    {
      name: "converged: every replica is a running task of the new spec, the update completed, the old tasks shut down",
      service: svc({ update: "completed" }),
      tasks: [newTask("running"), newTask("running"), oldTask("shutdown", "shutdown"), oldTask("shutdown", "shutdown")],
      converged: true,
      progress: "2/2 tasks of the new spec running",
    },
    {
      name: "not yet: one new task still starting",
      service: svc({ update: "updating" }),
      tasks: [newTask("running"), newTask("starting"), oldTask("running", "shutdown")],
      converged: false,
      progress: "1/2 tasks of the new spec running, 1 of the old",
    },
    {
      name: "converged while Swarm still reports the update in progress (its own monitor window runs alongside the gate's)",
      service: svc({ update: "updating" }),
      tasks: [newTask("running"), newTask("running")],
      converged: true,
    },
    {
      name: "not yet: old tasks still running beside the new ones (start-first)",
      service: svc(),
      tasks: [newTask("running"), newTask("running"), oldTask("running")],
      converged: false,
      progress: "2/2 tasks of the new spec running, 1 of the old",
    },
    {
      name: "not yet: no task made yet for a new replicated service",
      service: svc(),
      tasks: [],
      converged: false,
      progress: "0/2 tasks of the new spec running",
    },
    {
      name: "failed: a task of the new spec failed, with its exit code",
      service: svc({ update: "updating" }),
      tasks: [newTask("running"), newTask("failed", "shutdown", { Status: { State: "failed", ContainerStatus: { ExitCode: 3 } } }), oldTask("running")],
      converged: false,
      failure: "a task of the new spec failed (exit code 3)",
    },
    {
      name: "failed: a task of the new spec was rejected (no exit code: it never ran)",
      service: svc(),
      tasks: [newTask("rejected", "shutdown")],
      converged: false,
      failure: "a task of the new spec rejected",
    },
    {
      name: "an old task that failed is not the new spec's failure",
      service: svc({ update: "completed" }),
      tasks: [newTask("running"), newTask("running"), task(OLD.template, "failed", "shutdown")],
      converged: true,
    },
    {
      name: "failed: Swarm paused the update",
      service: svc({ update: "paused" }),
      tasks: [newTask("running"), oldTask("running")],
      converged: false,
      failure: "Swarm's update is paused: a task of the new spec failed",
    },
    ...["rollback_started", "rollback_paused", "rollback_completed"].map((update) => ({
      name: `failed: Swarm's update is ${update}`,
      service: svc({ update }),
      tasks: [oldTask("running"), oldTask("running")],
      converged: false,
      failure: `Swarm's update is ${update.replace("_", " ")}: a task of the new spec failed`,
    })),
    {
      name: "not yet: a scale down's task still stopping (desired shutdown, still running)",
      service: svc({ replicas: 1 }),
      tasks: [newTask("running"), newTask("running", "shutdown")],
      converged: false,
      progress: "1/1 tasks of the new spec running, 1 of the old",
    },
    {
      name: "converged: a scale down done",
      service: svc({ replicas: 1 }),
      tasks: [newTask("running"), newTask("shutdown", "shutdown")],
      converged: true,
    },
    {
      name: "global mode: converged when the new task on each node runs",
      service: svc({ global: true, update: "completed" }),
      tasks: [newTask("running", "running", { NodeID: "n1" }), newTask("running", "running", { NodeID: "n2" }), oldTask("shutdown", "shutdown")],
      converged: true,
      progress: "2/2 tasks of the new spec running",
    },
    {
      name: "global mode: not yet while one node's new task starts",
      service: svc({ global: true, update: "updating" }),
      tasks: [newTask("running", "running", { NodeID: "n1" }), newTask("preparing", "running", { NodeID: "n2" }), oldTask("running", "shutdown")],
      converged: false,
      progress: "1/2 tasks of the new spec running, 1 of the old",
    },
    {
      // `docker service update --image` keeps the labels: the task carries the hash of the new spec but runs another image.
      name: "a task changed by hand, with the new spec's hash label but another image, is not a task of the new spec",
      service: svc({ update: "completed" }),
      tasks: [
        task({ ...NEW.template, ContainerSpec: { ...(NEW.template["ContainerSpec"] as JsonObject), Image: "nginx:other" } }, "running"),
        task({ ...NEW.template, ContainerSpec: { ...(NEW.template["ContainerSpec"] as JsonObject), Image: "nginx:other" } }, "running"),
      ],
      converged: false,
      progress: "0/2 tasks of the new spec running, 2 of the old",
    },
    {
      name: "a task with the new spec's image but another environment is not new either",
      service: svc(),
      tasks: [task(sentFor(IMAGE_V2, { MODE: "debug" }).template, "running"), newTask("running")],
      converged: false,
      progress: "1/2 tasks of the new spec running, 1 of the old",
    },
    {
      name: "a hand-changed task that failed is not a failure of the new spec",
      service: svc(),
      tasks: [
        task({ ...NEW.template, ContainerSpec: { ...(NEW.template["ContainerSpec"] as JsonObject), Image: "nginx:other" } }, "failed", "shutdown"),
        newTask("running"),
      ],
      converged: false,
    },
  ];
  it.each(cases)("$name", ({ service, tasks, converged, failure, progress }) => {
    const look = judge(service, tasks);
    expect(look.converged).toBe(converged);
    expect(look.failure).toBe(failure);
    if (progress !== undefined) expect(look.progress).toBe(progress);
  });

  it("reads only Swarm's states and exit codes, never a task's error text", () => {
    const tasks = [
      newTask("failed", "shutdown", { Status: { State: "failed", Err: "token=hunter2", ContainerStatus: { ExitCode: 1 } } as SwarmTask["Status"] }),
    ];
    const look = judge(svc(), tasks);
    expect(look.failure).toBe("a task of the new spec failed (exit code 1)");
    expect(JSON.stringify(look)).not.toContain("hunter2");
  });

  describe("tasks that had already failed when the gate began", () => {
    // Swarm keeps ended tasks (5 per slot by default). A scale keeps the task template, and a retried
    // commit or an undo sends one the Swarm may have run before: a task of that template that failed
    // weeks ago must not fail this rollout at once.
    const history = newTask("failed", "shutdown", { ID: "t-old", Status: { State: "failed", ContainerStatus: { ExitCode: 137 } } });
    const tasksAtStart = [history, newTask("running", "running", { ID: "t1" }), newTask("running", "running", { ID: "t2" })];

    it("are history: a scale from 2 to 3 waits for its third task instead of failing on an old one", () => {
      const earlier = failedTaskIds(tasksAtStart);
      expect([...earlier]).toEqual(["t-old"]);
      const look = judgeTasks(svc({ replicas: 3 }), [...tasksAtStart, newTask("starting", "running", { ID: "t3" })], NEW, earlier);
      expect(look.failure).toBeUndefined();
      expect(look.progress).toBe("2/3 tasks of the new spec running");
    });

    it("a task that fails after the gate began still fails it at once", () => {
      const earlier = failedTaskIds(tasksAtStart);
      const later = [...tasksAtStart, newTask("failed", "shutdown", { ID: "t3", Status: { State: "failed", ContainerStatus: { ExitCode: 2 } } })];
      expect(judgeTasks(svc({ replicas: 3 }), later, NEW, earlier).failure).toBe("a task of the new spec failed (exit code 2)");
    });

    it("judged with no earlier failures given, every failed task of the template counts", () => {
      expect(judgeTasks(svc({ replicas: 3 }), tasksAtStart, NEW).failure).toBe("a task of the new spec failed (exit code 137)");
    });
  });

  describe("a node that is not ready (down, gone)", () => {
    const onDead = (t: SwarmTask) => ({ ...t, NodeID: "dead" });
    it("its old task, reported running for ever, does not hold the gate back", () => {
      const tasks = [newTask("running", "running", { NodeID: "a" }), newTask("running", "running", { NodeID: "b" }), onDead(oldTask("running", "shutdown"))];
      expect(judgeTasks(svc({ update: "completed" }), tasks, NEW, new Set(), new Set()).converged).toBe(false);
      expect(judgeTasks(svc({ update: "completed" }), tasks, NEW, new Set(), new Set(["dead"])).converged).toBe(true);
    });

    it("a service short only of tasks Swarm cannot place, or of tasks on that node, waits for nodes: no verdict on the spec", () => {
      const dead = new Set(["dead"]);
      const unplaced = [newTask("running", "running", { NodeID: "a" }), newTask("pending")];
      expect(judgeTasks(svc(), unplaced, NEW, new Set(), dead)).toMatchObject({ converged: false, waitsForNodes: true });
      const onTheDeadNode = [newTask("running", "running", { NodeID: "a" }), onDead(newTask("running"))];
      expect(judgeTasks(svc(), onTheDeadNode, NEW, new Set(), dead)).toMatchObject({ converged: false, waitsForNodes: true });
      const stalled = [newTask("running", "running", { NodeID: "a" }), newTask("running", "running", { NodeID: "b" }), oldTask("running")];
      expect(judgeTasks(svc(), stalled, NEW, new Set(), dead)).toMatchObject({ converged: false, waitsForNodes: true });
    });

    it("a task of the new spec placed on a ready node and not running yet is the spec's own progress, judged as ever", () => {
      const dead = new Set(["dead"]);
      for (const state of ["assigned", "accepted", "preparing", "starting"]) {
        const tasks = [newTask("running", "running", { NodeID: "a" }), newTask(state, "running", { NodeID: "b" })];
        expect(judgeTasks(svc(), tasks, NEW, new Set(), dead).waitsForNodes, state).toBeUndefined();
      }
    });

    it("with every node ready, or once converged, nothing waits for nodes", () => {
      expect(judgeTasks(svc(), [newTask("running", "running", { NodeID: "a" }), newTask("pending")], NEW).waitsForNodes).toBeUndefined();
      const converged = [newTask("running", "running", { NodeID: "a" }), newTask("running", "running", { NodeID: "b" })];
      expect(judgeTasks(svc(), converged, NEW, new Set(), new Set(["dead"])).waitsForNodes).toBeUndefined();
    });

    it("its new task does not count as running: Swarm reschedules it, and the gate waits for that", () => {
      const tasks = [newTask("running", "running", { NodeID: "a" }), onDead(newTask("running"))];
      const look = judgeTasks(svc({ update: "completed" }), tasks, NEW, new Set(), new Set(["dead"]));
      expect(look.converged).toBe(false);
      expect(look.progress).toBe("1/2 tasks of the new spec running");
    });
  });
});
