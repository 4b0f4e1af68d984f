/**
 * Wake-ups for the health gates from the Engine's event stream: a gate samples on a timer, and also
 * at once when the Engine reports something about its container (it died, its healthcheck turned
 * unhealthy, it was killed or removed), so a failed release is noticed as soon as the Engine knows,
 * not at the next poll. One stream serves every gate of a rollout. If the stream cannot be opened
 * the gates simply poll: nothing depends on an event arriving.
 */
import type Docker from "dockerode";
import { destroyStream, onJsonLines } from "../engine/event-lines.js";

export interface ContainerWakeups {
  /** Calls `wake` whenever the Engine reports an event about container `id`; returns the unsubscribe. */
  on(id: string, wake: () => void): () => void;
  /** True once the stream ended or failed while open: the Engine went away (or restarted) meanwhile. */
  lost(): boolean;
  close(): void;
}

/** The actions that can change a gate's verdict. */
const ACTIONS = ["die", "health_status", "oom", "kill", "stop", "destroy", "restart"];

export const NO_WAKEUPS: ContainerWakeups = { on: () => () => undefined, lost: () => false, close: () => undefined };

export async function openContainerWakeups(docker: Docker): Promise<ContainerWakeups> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getEvents({ filters: { type: ["container"], event: ACTIONS } });
  } catch {
    return NO_WAKEUPS;
  }
  const listeners = new Map<string, Set<() => void>>();
  let closed = false;
  let lost = false;
  const onLost = () => {
    if (closed) return;
    lost = true;
    // Every gate samples again at once: its container may have gone with the Engine.
    for (const set of listeners.values()) for (const wake of set) wake();
  };
  onJsonLines(stream, (raw) => {
    const e = raw as { id?: string; Actor?: { ID?: string } };
    const id = e.Actor?.ID ?? e.id;
    if (id) for (const wake of listeners.get(id) ?? []) wake();
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
