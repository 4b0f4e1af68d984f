/**
 * Subscribes to the Engine's event stream for this agent's containers, so a container stopped,
 * killed or removed by hand (or turning unhealthy) is repaired within seconds, not at the next
 * poll. When the stream ends (dockerd restarting, the socket gone) it reconnects with backoff;
 * once connected again it reports `onReconnect`, since events may have been missed meanwhile.
 */
import type Docker from "dockerode";
import { destroyStream, onJsonLines } from "../engine/event-lines.js";
import { LABEL, MANAGED_FILTER, previousOf } from "../labels.js";
import type { Logger } from "../log.js";
import { nextDelay } from "./backoff.js";

export const WATCHED_ACTIONS = ["die", "destroy", "stop", "kill", "health_status"] as const;
/** On a Swarm (`engine: swarm`): a service changed or removed, by hand or by Swarm (its update state); a pass finds out which. */
export const WATCHED_SERVICE_ACTIONS = ["update", "remove"] as const;

export interface ContainerEvent {
  action: string;
  container: string;
  id: string;
  stack: string | undefined;
  service: string | undefined;
}

export interface DockerEventsOptions {
  docker: Docker;
  hostId: string;
  log: Logger;
  onEvent(e: ContainerEvent): void;
  onReconnect(): void;
  backoff: { initialMs: number; maxMs: number };
  /** `swarm`: the Swarm's service events instead of this agent's containers'. */
  engine?: "containers" | "swarm";
  /** Further actions to subscribe to (the in-place watch's exec and copy events), each handed raw to `onOther`. */
  otherActions?: readonly string[];
  onOther?(raw: unknown): void;
}

export interface EventWatch {
  close(): void;
}

/** The filters of the subscription: this agent's managed containers, the actions that can mean drift. */
export function eventFilters(hostId: string, otherActions: readonly string[] = [], engine: "containers" | "swarm" = "containers"): Record<string, string[]> {
  // A service event names the service only (no labels to filter on): every one is looked at.
  if (engine === "swarm") return { type: ["service"], event: [...WATCHED_SERVICE_ACTIONS] };
  return { type: ["container"], label: [MANAGED_FILTER, `${LABEL.agent}=${hostId}`], event: [...WATCHED_ACTIONS, ...otherActions] };
}

/**
 * The events that call for a pass: every watched action except health_status other than
 * unhealthy, and nothing about a retained previous revision (gitdock stops those itself).
 */
export function relevantEvent(raw: unknown): ContainerEvent | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  const action = m.Action ?? m.status ?? "";
  if (m.Type === "service") return serviceEvent(action, m.Actor);
  if ((m.Type ?? "container") !== "container") return undefined;
  const base = action.split(":")[0]!.trim();
  if (!(WATCHED_ACTIONS as readonly string[]).includes(base)) return undefined;
  if (base === "health_status" && action.replace(/\s+/g, "") !== "health_status:unhealthy") return undefined;
  const attrs = m.Actor?.Attributes ?? {};
  const name = attrs["name"] ?? "";
  if (previousOf(name) !== undefined) return undefined;
  return { action: action.trim(), container: name, id: m.Actor?.ID ?? m.id ?? "", stack: attrs[LABEL.composeProject], service: attrs[LABEL.composeService] };
}

function serviceEvent(action: string, actor: { ID?: string; Attributes?: Record<string, string> } | undefined): ContainerEvent | undefined {
  if (!(WATCHED_SERVICE_ACTIONS as readonly string[]).includes(action)) return undefined;
  const name = actor?.Attributes?.["name"] ?? "";
  return { action, container: name, id: actor?.ID ?? "", stack: undefined, service: name };
}

export function watchDockerEvents(opts: DockerEventsOptions): EventWatch {
  let closed = false;
  let stream: NodeJS.ReadableStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let everConnected = false;
  let lostLogged = false;

  const connect = async (): Promise<void> => {
    timer = undefined;
    if (closed) return;
    try {
      const s = await opts.docker.getEvents({ filters: eventFilters(opts.hostId, opts.otherActions, opts.engine) });
      if (closed) return void destroyStream(s);
      stream = s;
      failures = 0;
      lostLogged = false;
      opts.log.info({ stage: "events" }, everConnected ? "Engine event stream reconnected" : "watching the Engine's events");
      if (everConnected) opts.onReconnect();
      everConnected = true;
      onJsonLines(s, handleEvent);
      const lost = (why: string) => () => {
        if (stream !== s) return;
        stream = undefined;
        retry(why);
      };
      s.on("end", lost("ended"));
      s.on("close", lost("closed"));
      s.on("error", (err: Error) => lost(err.message)());
    } catch (err) {
      retry(err instanceof Error ? err.message : String(err));
    }
  };

  const handleEvent = (raw: unknown): void => {
    opts.onOther?.(raw);
    const e = relevantEvent(raw);
    if (!e) return;
    opts.log.info({ stage: "events", stack: e.stack, service: e.service, container: e.container, reason: e.action }, `container ${e.container}: ${e.action}`);
    opts.onEvent(e);
  };

  const retry = (why: string): void => {
    if (closed || timer) return;
    const delay = Math.max(opts.backoff.initialMs / 4, nextDelay(failures++, { baseMs: opts.backoff.initialMs, capMs: opts.backoff.maxMs }));
    if (!lostLogged) opts.log.warn({ stage: "events", reason: why }, "Engine event stream lost; reconnecting with backoff");
    lostLogged = true;
    timer = setTimeout(() => void connect(), delay);
  };

  void connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (stream) destroyStream(stream);
      stream = undefined;
    },
  };
}
