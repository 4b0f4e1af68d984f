/**
 * The health gate's view of a Swarm service: healthy when every task it should run is a task of the
 * new spec (told by `gitdock.task-hash`), running — which, for a service with a Docker healthcheck,
 * Swarm reports only once the container is healthy — and it stays so for the monitor window. A task
 * of the new spec that failed or was rejected, or an update Swarm paused or rolled back, fails the
 * gate at once; so does not converging within the health timeout. A node that leaves is Swarm's
 * business: its tasks are rescheduled, and the gate waits for them; a timeout only for want of such
 * nodes says so (`waitsForNodes`), and is not held against the commit.
 */
import type Docker from "dockerode";
import { engineError } from "../engine/docker-client.js";
import { runProbe } from "../health/probe.js";
import { LABEL } from "../labels.js";
import type { Probe } from "../model.js";
import { sentDifference } from "../plan/index.js";
import type { JsonObject } from "./service-spec.js";
import { restartUpdate } from "./update-service.js";

export type SwarmGateResult =
  | { ok: true; service: string; durationMs: number }
  /**
   * `waitsForNodes`: the gate timed out only because of nodes that are not ready — every task the
   * service still lacks is one Swarm cannot place, or one on such a node — which is no verdict on
   * the spec: the Swarm could not have run it, and could not run the last good one either.
   */
  | { ok: false; service: string; reason: string; durationMs: number; waitsForNodes?: boolean };

export interface SwarmGateTarget {
  name: string;
  taskHash: string;
  /**
   * The task template sent. The hash label alone would not tell a task of a spec changed by hand
   * (`docker service update --image` keeps the labels): a new task carries the label and every
   * field sent. Networks are left out (tasks name them by id).
   */
  template: JsonObject;
  /** `x-gitdock.probe`: each running task of the new spec is probed at its node's address, on the port published for it in host mode. */
  probe?: Probe | undefined;
  healthTimeoutMs: number;
  monitorMs: number;
}

const POLL_MS = 250;
/** Update states in which Swarm stopped short of the new spec. */
const STOPPED_UPDATES = new Set(["paused", "rollback_started", "rollback_paused", "rollback_completed"]);
const FAILED_TASKS = new Set(["failed", "rejected"]);
/** Task states before a node took the task (`pending`: Swarm found no node it may use). */
const UNPLACED_TASKS = new Set(["new", "pending", "allocated"]);

/**
 * Gates several services together with one look per poll for all of them (the services, their
 * tasks, the nodes): three requests however many services a level has. Returns each service's
 * result as it ends; with `stopAtFirstFailure`, returns at the first failure (the others unjudged).
 */
export async function waitForServices(
  docker: Docker,
  targets: readonly SwarmGateTarget[],
  opts: { signal?: AbortSignal | undefined; stopAtFirstFailure?: boolean; onResult?: (r: SwarmGateResult) => void } = {},
): Promise<SwarmGateResult[]> {
  const started = Date.now();
  let active: GateRun[] = targets.map((target) => ({ target, started, stall: { progress: "", since: started, restarts: 0 } }));
  const results: SwarmGateResult[] = [];
  while (active.length) {
    const view = await lookAll(
      docker,
      active.map((g) => g.target.name),
    );
    const still: GateRun[] = [];
    for (const g of active) {
      const r = await step(docker, g, view, opts.signal);
      if (!r) {
        still.push(g);
        continue;
      }
      results.push(r);
      opts.onResult?.(r);
      if (!r.ok && opts.stopAtFirstFailure) return results;
    }
    active = still;
    if (active.length) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return results;
}

interface GateRun {
  target: SwarmGateTarget;
  started: number;
  steadySince?: number | undefined;
  /** Tasks that had already failed when the gate began: history, not this rollout's (see judgeTasks). */
  earlier?: ReadonlySet<string>;
  stall: { progress: string; since: number; restarts: number };
}

/** One poll of one service's gate: its result when it ends, undefined while it waits. */
async function step(docker: Docker, g: GateRun, view: SwarmView, signal: AbortSignal | undefined): Promise<SwarmGateResult | undefined> {
  const { target } = g;
  const result = (ok: true | string, waitsForNodes = false): SwarmGateResult =>
    ok === true
      ? { ok: true, service: target.name, durationMs: Date.now() - g.started }
      : { ok: false, service: target.name, reason: ok, durationMs: Date.now() - g.started, ...(waitsForNodes ? { waitsForNodes } : {}) };
  const service = view.services.get(target.name);
  if (!service) return result("the service is gone from the Swarm");
  const tasks = view.tasks.filter((t) => t.ServiceID === service.ID);
  g.earlier ??= failedTaskIds(tasks);
  const judged = judgeTasks(service, tasks, target, g.earlier, view.unreachable);
  const probed = judged.converged && target.probe ? await probeTasks(target.probe, judged.running ?? [], view.addresses) : undefined;
  // A probe failing while the tasks start is waited for; once they were steady, it fails the gate.
  if (probed && g.steadySince !== undefined) return result(`probe: ${probed}`);
  const seen = probed ? { ...judged, converged: false, progress: `${judged.progress}; probe: ${probed}` } : judged;
  if (seen.failure) return result(seen.failure);
  const now = Date.now();
  g.steadySince = seen.converged ? (g.steadySince ?? now) : undefined;
  if (g.steadySince !== undefined && now - g.steadySince >= target.monitorMs) return result(true);
  if (await restartedStalledUpdate(docker, target, seen, view.unreachable, g.stall, now)) g.steadySince = undefined;
  if (now >= g.started + target.healthTimeoutMs)
    return result(`did not converge within ${Math.round(target.healthTimeoutMs / 1000)}s: ${seen.progress}${notReady(view.unreachable)}`, seen.waitsForNodes);
  if (signal?.aborted) return result("stopped: gitdock is shutting down");
  return undefined;
}

/** The fields of a node gitdock reads (dockerode's listNodes is untyped). */
export interface SwarmNodeSeen {
  ID: string;
  Status?: { State?: string; Addr?: string };
  Spec?: { Labels?: Record<string, string> };
  Description?: { Hostname?: string };
}

/** The fields of a task the gate reads (dockerode's Task type names none of them). */
export interface SwarmTask {
  ID?: string;
  ServiceID?: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: {
    State?: string;
    ContainerStatus?: { ExitCode?: number };
    /** The ports published for the task on its node (host mode). */
    PortStatus?: { Ports?: { TargetPort?: number; PublishedPort?: number; PublishMode?: string; Protocol?: string }[] };
  };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
}

const IDENTITY_FIELDS = ["Image", "Env", "Command", "Args", "Labels"] as const;

function taskIdentity(template: JsonObject): JsonObject {
  const container = (template["ContainerSpec"] ?? {}) as JsonObject;
  return { ContainerSpec: Object.fromEntries(IDENTITY_FIELDS.map((k) => [k, container[k]])) };
}

interface Look {
  converged: boolean;
  /** The running tasks of the new spec (for the probes). */
  running?: SwarmTask[];
  failure?: string;
  /** `1/2 tasks of the new spec running`, for the timeout's reason. */
  progress: string;
  /** Not converged, and only for nodes that are not ready: every task of the new spec that does not run waits to be placed (see SwarmGateResult). */
  waitsForNodes?: boolean;
}

interface SwarmView {
  services: ReadonlyMap<string, Docker.Service>;
  tasks: readonly SwarmTask[];
  unreachable: ReadonlySet<string>;
  addresses: ReadonlyMap<string, string>;
}

async function lookAll(docker: Docker, names: readonly string[]): Promise<SwarmView> {
  try {
    const [services, tasks, nodes] = await Promise.all([
      // The name filter matches by prefix: the exact names are picked below.
      docker.listServices({ filters: { name: [...names] } }),
      docker.listTasks({ filters: { service: [...names] } }) as Promise<SwarmTask[]>,
      docker.listNodes() as Promise<SwarmNodeSeen[]>,
    ]);
    const wanted = new Set(names);
    return {
      services: new Map(services.filter((x) => wanted.has(x.Spec?.Name ?? "")).map((x) => [x.Spec?.Name ?? "", x])),
      tasks,
      unreachable: new Set(nodes.filter((n) => n.Status?.State !== "ready").map((n) => n.ID)),
      addresses: new Map(nodes.map((n) => [n.ID, n.Status?.Addr ?? ""])),
    };
  } catch (err) {
    throw engineError(err, `inspecting services ${names.join(", ")}`);
  }
}

const MAX_RESTARTS = 3;
/** Swarm's default stop grace period, and the margin over a slot's own time before it counts as stalled. */
const DEFAULT_STOP_GRACE_MS = 10_000;
const STALL_MARGIN_MS = 5_000;

/** How long one slot of an update may take without moving: its old task's stop grace, the monitor window, a margin. */
function stallAfterMs(target: SwarmGateTarget): number {
  const grace = (target.template["ContainerSpec"] as { StopGracePeriod?: number } | undefined)?.StopGracePeriod;
  return (grace === undefined ? DEFAULT_STOP_GRACE_MS : grace / 1_000_000) + target.monitorMs + STALL_MARGIN_MS;
}

/**
 * While a node is not ready, Swarm's updater can wait for ever on a task it had given that node:
 * when the tasks have not moved for longer than a slot takes (stallAfterMs), the update is started
 * afresh (update-service.ts restartUpdate), which places them on the nodes that are ready. A few
 * times at most per gate.
 */
async function restartedStalledUpdate(
  docker: Docker,
  target: SwarmGateTarget,
  seen: Look,
  unreachable: ReadonlySet<string>,
  stall: { progress: string; since: number; restarts: number },
  now: number,
): Promise<boolean> {
  if (seen.progress !== stall.progress || seen.converged) {
    stall.progress = seen.progress;
    stall.since = now;
    return false;
  }
  if (unreachable.size === 0 || now - stall.since < stallAfterMs(target) || stall.restarts >= MAX_RESTARTS) return false;
  await restartUpdate(docker, target.name);
  stall.restarts++;
  stall.since = now;
  return true;
}

/** Nodes that are not ready, said in the timeout's reason: Swarm may still be moving their tasks. */
function notReady(unreachable: ReadonlySet<string>): string {
  return unreachable.size ? ` (${unreachable.size} node(s) not ready)` : "";
}

const PROBE_TIMEOUT_MS = 2_000;

/** Probes every task; the first failure in gitdock's words (with the task's node), or undefined when all pass. */
async function probeTasks(probe: Probe, tasks: readonly SwarmTask[], addresses: ReadonlyMap<string, string>): Promise<string | undefined> {
  const results = await Promise.all(
    tasks.map(async (t) => {
      const host = addresses.get(t.NodeID ?? "");
      const port = t.Status?.PortStatus?.Ports?.find((p) => p.TargetPort === probe.port && p.PublishMode === "host")?.PublishedPort;
      if (!host || !port) return `task ${t.ID ?? "?"} has no address for port ${probe.port} published in host mode`;
      const r = await runProbe(probe, { host, port }, PROBE_TIMEOUT_MS);
      return r.ok ? undefined : `${r.detail} (task on ${host})`;
    }),
  );
  return results.find((r) => r !== undefined);
}

/** The tasks that failed or were rejected, by id. */
export function failedTaskIds(tasks: readonly SwarmTask[]): ReadonlySet<string> {
  return new Set(tasks.filter((t) => FAILED_TASKS.has(t.Status?.State ?? "") && t.ID).map((t) => t.ID as string));
}

/**
 * Pure: what the service's tasks say about the new spec. Only Swarm's states and exit codes, never a
 * task's error text. `earlier` are the tasks that had already failed when the gate began: Swarm keeps
 * a few ended tasks per slot, and one of the same task template (a scale keeps the template; a
 * retried commit or an undo sends one the Swarm ran before) is not a failure of this rollout.
 * `unreachable` are the nodes that are not ready (down, or gone): their tasks are left out.
 */
export function judgeTasks(
  service: Docker.Service,
  tasks: readonly SwarmTask[],
  target: Pick<SwarmGateTarget, "taskHash" | "template">,
  earlier: ReadonlySet<string> = new Set(),
  unreachable: ReadonlySet<string> = new Set(),
): Look {
  const update = (service as { UpdateStatus?: { State?: string } }).UpdateStatus?.State;
  if (update && STOPPED_UPDATES.has(update))
    return { converged: false, failure: `Swarm's update is ${update.replace("_", " ")}: a task of the new spec failed`, progress: "" };
  // A node that left is Swarm's business: what its tasks last reported (running, for ever) is not counted; Swarm reschedules them.
  tasks = tasks.filter((t) => !unreachable.has(t.NodeID ?? ""));
  const template = taskIdentity(target.template);
  const isNew = (t: SwarmTask) => taskLabels(t)[LABEL.taskHash] === target.taskHash && sentDifference(template, t.Spec) === undefined;
  const failed = tasks.find((t) => isNew(t) && FAILED_TASKS.has(t.Status?.State ?? "") && !earlier.has(t.ID ?? ""));
  if (failed) return { converged: false, failure: `a task of the new spec ${failed.Status?.State}${exitCodeOf(failed)}`, progress: "" };
  const runningTasks = tasks.filter((t) => isNew(t) && t.DesiredState === "running" && t.Status?.State === "running");
  const running = runningTasks.length;
  // Old tasks, and tasks Swarm is stopping (a scale down), must be gone too.
  const oldRunning = tasks.filter((t) => (!isNew(t) || t.DesiredState !== "running") && t.Status?.State === "running").length;
  const replicas = service.Spec?.Mode?.Replicated?.Replicas;
  const wanted = replicas ?? tasks.filter((t) => isNew(t) && t.DesiredState === "running").length;
  // Swarm keeps an update "updating" for its own monitor window after the last task started; the
  // gate's window runs alongside it instead of after it (a failed task, or a pause, is seen either way).
  const converged = running >= wanted && oldRunning === 0;
  // What the spec does shows on the nodes that are ready: a task there past being placed (preparing,
  // starting, ...) is the spec's own progress; one still unplaced, or missing, waits for the others.
  const placedHere = tasks.some((t) => isNew(t) && t.DesiredState === "running" && t.Status?.State !== "running" && !UNPLACED_TASKS.has(t.Status?.State ?? ""));
  return {
    converged,
    running: runningTasks,
    progress: `${running}/${wanted} tasks of the new spec running${oldRunning ? `, ${oldRunning} of the old` : ""}`,
    ...(!converged && unreachable.size > 0 && !placedHere ? { waitsForNodes: true } : {}),
  };
}

function taskLabels(t: SwarmTask): Record<string, string> {
  return t.Spec?.ContainerSpec?.Labels ?? {};
}

function exitCodeOf(t: SwarmTask): string {
  const code = t.Status?.ContainerStatus?.ExitCode;
  return code ? ` (exit code ${code})` : "";
}
