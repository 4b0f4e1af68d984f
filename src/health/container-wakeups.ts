/**
 * Wake-ups for the health gates from the Engine's event stream: a gate samples on a timer, and also
 * at once when the Engine reports something about its container (it died, its healthcheck turned
 * unhealthy, it was killed or removed), so a failed release is noticed as soon as the Engine knows,
 * not at the next poll. One stream serves every gate of a rollout. If the stream cannot be opened
 * (or does not answer within OPEN_TIMEOUT_MS: an Engine that sends no headers until the first event,
 * a proxy that holds them back) the gates simply poll: nothing depends on an event arriving.
 */
import type Docker from "dockerode";
import { destroyStream, onJsonLines } from "../engine/event-lines.js";

export interface ContainerWakeups {
  /** Calls `wake` whenever the Engine reports an event about container `id` (with its action; none when the stream was lost); returns the unsubscribe. */
  on(id: string, wake: (action?: string) => void): () => void;
  /** True once the stream ended or failed while open: the Engine went away (or restarted) meanwhile. */
  lost(): boolean;
  close(): void;
}

/** The actions that can change a gate's verdict. */
const ACTIONS = ["die", "health_status", "oom", "kill", "stop", "destroy", "restart"];

export const NO_WAKEUPS: ContainerWakeups = { on: () => () => undefined, lost: () => false, close: () => undefined };

/** How long the rollout waits for the event stream to open before its gates poll without it. */
export const OPEN_TIMEOUT_MS = 3000;

export async function openContainerWakeups(docker: Docker, openTimeoutMs = OPEN_TIMEOUT_MS): Promise<ContainerWakeups> {
  let stream: NodeJS.ReadableStream;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), openTimeoutMs);
  // dockerode passes abortSignal on to the request (its types do not list it for getEvents).
  const options: Docker.GetEventsOptions & { abortSignal: AbortSignal } = { filters: { type: ["container"], event: ACTIONS }, abortSignal: abort.signal };
  try {
    stream = await docker.getEvents(options);
  } catch {
    return NO_WAKEUPS;
  } finally {
    clearTimeout(timer);
  }
  const listeners = new Map<string, Set<(action?: string) => void>>();
  let closed = false;
  let lost = false;
  const onLost = () => {
    if (closed) return;
    lost = true;
    // Every gate samples again at once: its container may have gone with the Engine.
    for (const set of listeners.values()) for (const wake of set) wake(undefined);
  };
  onJsonLines(stream, (raw) => {
    const e = raw as { id?: string; Action?: string; status?: string; Actor?: { ID?: string } };
    const id = e.Actor?.ID ?? e.id;
    if (id) for (const wake of listeners.get(id) ?? []) wake(e.Action ?? e.status);
  });
  stream.on("error", onLost);
  stream.on("end", onLost);
  stream.on("close", onLost);
  return {
    on(id, wake) {
      const set = listeners.get(id) ?? new Set();
      listeners.set(id, set.add(wake));
      return () => {
        set.delete(wake);
        if (set.size === 0) listeners.delete(id);
      };
    },
    lost: () => lost,
    close: () => {
      closed = true;
      destroyStream(stream);
    },
  };
}

/**
 * Resolves when the Engine reports that container `id` died (its processes are gone and reaped);
 * never, without an event stream. `cancel` drops the subscription. Register before killing it.
 */
export function watchDeath(wakeups: ContainerWakeups, id: string): { died: Promise<void>; cancel(): void } {
  let off: () => void = () => undefined;
  const died = new Promise<void>((resolve) => {
    // The executor runs at once: `off` is set before this returns.
    off = wakeups.on(id, (action) => action === "die" && resolve());
  });
  return { died, cancel: () => off() };
}
