/**
 * What a Swarm stack runs, seen the same way for gitdock and for `docker stack deploy`: each
 * service's current spec and its tasks, read from the manager's API (GET /services filtered by the
 * stack's namespace label, GET /tasks). A spec is told by its image and environment (every release
 * of the bench changes one of them).
 *
 * The convergence condition, for both tools: a service "runs spec S" when its current spec is S, as
 * many tasks of S as its replicas are running (Swarm reports a task with a Docker healthcheck
 * `running` only once the container is healthy), and no other task of it is running (no old task
 * left, none being stopped). Swarm's update state is not part of it: Swarm keeps an update
 * `updating` for its monitor window after the last task started.
 */
import { sleep } from "./lib.mjs";

export const NAMESPACE = "com.docker.stack.namespace";

/** `image|env` of a ContainerSpec: what tells the bench's releases apart. */
export function specKey(container) {
  return `${container?.Image ?? ""}|${[...(container?.Env ?? [])].sort().join(",")}`;
}

/** name → { spec, replicas, update, running: [spec of each running task], failed: [spec of each failed task] } */
export async function observeStack(api, stack) {
  const [services, tasks] = await Promise.all([api.listServices({ filters: { label: [`${NAMESPACE}=${stack}`] } }), api.listTasks()]);
  const tasksOf = new Map();
  for (const t of tasks) tasksOf.set(t.ServiceID, [...(tasksOf.get(t.ServiceID) ?? []), t]);
  const out = new Map();
  for (const s of services) {
    const own = tasksOf.get(s.ID) ?? [];
    const state = (t) => t.Status?.State;
    out.set(s.Spec.Name, {
      spec: specKey(s.Spec.TaskTemplate?.ContainerSpec),
      replicas: s.Spec.Mode?.Replicated?.Replicas ?? 0,
      update: s.UpdateStatus?.State,
      running: own.filter((t) => state(t) === "running").map((t) => ({ spec: specKey(t.Spec?.ContainerSpec), desired: t.DesiredState })),
      failed: own.filter((t) => state(t) === "failed" || state(t) === "rejected").map((t) => specKey(t.Spec?.ContainerSpec)),
    });
  }
  return out;
}

/** Whether the observed service runs `key` (see the file's comment). */
export function runsSpec(service, key) {
  if (!service || service.spec !== key) return false;
  const ofKey = service.running.filter((t) => t.spec === key && t.desired === "running").length;
  return ofKey === service.replicas && service.running.length === service.replicas;
}

/** Whether every service in `expected` (name → spec key), and no other, runs its spec. */
export function stackRuns(observed, expected) {
  if (observed.size !== expected.size) return false;
  for (const [name, key] of expected) if (!runsSpec(observed.get(name), key)) return false;
  return true;
}

/**
 * Polls the stack every `intervalMs` and calls `onLook(observed, at)` with each look (`at`: when the
 * look's answers were in: what it saw held by then), until
 * `stop()`; returns { stop, error } (a failed look is kept and ends the watch).
 */
export function watchStack(api, stack, onLook, intervalMs = 200) {
  let stopped = false;
  const state = { error: undefined };
  const loop = (async () => {
    while (!stopped) {
      try {
        const observed = await observeStack(api, stack);
        onLook(observed, Date.now());
      } catch (err) {
        state.error = err;
        return;
      }
      await sleep(intervalMs);
    }
  })();
  return {
    get error() {
      return state.error;
    },
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Epoch ms of the first look (as in watchStack; from now, every `intervalMs`) at which `test(observed)` holds; throws after `timeoutMs`. */
export async function firstLook(api, stack, test, { timeoutMs = 300_000, intervalMs = 200, what }) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const observed = await observeStack(api, stack);
    if (test(observed)) return Date.now();
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
