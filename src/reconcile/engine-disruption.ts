import type Docker from "dockerode";
import { HealthGateFailedError } from "../errors.js";
import type { ContainerWakeups } from "../health/index.js";
import { observeContainers } from "../observe/index.js";

/** How long a container killed by a signal waits for the Engine to show it is going down. */
const SETTLE_MS = 3_000;
const PING_MS = 2_000;

/**
 * Was the Engine disrupted while a gate failed? A failed gate counts against the release only when
 * the release caused it: a container of the new commit exited, turned unhealthy or failed its probe
 * while the Engine was healthy. Signs that it was not: the Engine's event stream ended during the
 * rollout (dockerd stopped or restarted), the Engine does not answer now, or containers that were
 * running before the rollout (of other commits) died too. An Engine shutting down stops every
 * container with SIGTERM, then SIGKILL, so a container that exited 143 or 137 may be the first sign:
 * then the Engine gets a few seconds to show it is going down before the release is blamed.
 * Returns why, in gitdock's words, or undefined when the Engine was healthy.
 */
export async function engineDisruption(
  failure: unknown,
  deps: { docker: Docker; hostId: string; wakeups: ContainerWakeups; runningBefore: ReadonlySet<string> },
): Promise<string | undefined> {
  const signal = exitedBySignal(failure);
  const deadline = Date.now() + (signal ? SETTLE_MS : 0);
  for (;;) {
    const why = await disruptedNow(deps);
    if (why || Date.now() >= deadline) return why;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function disruptedNow(deps: {
  docker: Docker;
  hostId: string;
  wakeups: ContainerWakeups;
  runningBefore: ReadonlySet<string>;
}): Promise<string | undefined> {
  if (deps.wakeups.lost()) return "the Engine's event stream ended during the rollout (dockerd stopped or restarted)";
  if (!(await answers(deps.docker))) return "the Engine does not answer";
  const died = await diedSince(deps);
  return died.length ? `containers of other commits died at the same time (${died.slice(0, 3).join(", ")}${died.length > 3 ? ", ..." : ""})` : undefined;
}

function exitedBySignal(failure: unknown): boolean {
  if (!(failure instanceof HealthGateFailedError)) return false;
  const code = failure.data["exitCode"];
  return code === 143 || code === 137;
}

export async function answers(docker: Docker): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PING_MS)));
  try {
    return await Promise.race([
      docker.ping().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Containers gitdock manages that were running before the rollout and are not now. */
async function diedSince(deps: { docker: Docker; hostId: string; runningBefore: ReadonlySet<string> }): Promise<string[]> {
  if (deps.runningBefore.size === 0) return [];
  const now = await observeContainers(deps.docker, deps.hostId).catch(() => undefined);
  if (!now) return ["(the Engine could not list them)"];
  const running = new Set(now.filter((c) => c.running).map((c) => c.name));
  return [...deps.runningBefore].filter((name) => !running.has(name));
}
