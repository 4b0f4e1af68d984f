/**
 * The Engine's events that mean a container may have been changed in place, parsed from the event
 * stream (src/agent/docker-events.ts subscribes to them for this agent's containers):
 *  - `exec_start: <command>`: an exec session ran (a healthcheck is one too: container-profile.ts
 *    tells them apart);
 *  - `exec_die`: an exec session ended: its writes are in the writable layer now;
 *  - `extract-to-dir`: `docker cp` (or the archive API) wrote into the container.
 * The attributes carry the container's labels, its name and image, the exec's id and, for
 * `exec_die`, its exit code: never the exec's environment. The command is in the action itself.
 */
import { LABEL, previousOf } from "../labels.js";
import { redactCredentialShapes } from "../untrusted/index.js";

export const IN_PLACE_ACTIONS = ["exec_start", "exec_die", "extract-to-dir"] as const;

export type InPlaceEvent =
  | { kind: "exec"; containerId: string; container: string; execId: string; command: string }
  | { kind: "exec-ended"; containerId: string; container: string; execId: string }
  | { kind: "copied-in"; containerId: string; container: string };

/** Longest command kept: one log line's worth. */
export const COMMAND_MAX = 200;

export function inPlaceEventOf(raw: unknown): InPlaceEvent | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  if ((m.Type ?? "container") !== "container") return undefined;
  const action = m.Action ?? m.status ?? "";
  const attrs = m.Actor?.Attributes ?? {};
  const container = attrs["name"] ?? "";
  const containerId = m.Actor?.ID ?? m.id ?? "";
  if (!containerId || attrs[LABEL.managed] !== "true" || previousOf(container) !== undefined) return undefined;
  const execId = attrs["execID"] ?? "";
  if (action.startsWith("exec_start:")) return { kind: "exec", containerId, container, execId, command: action.slice("exec_start:".length).trim() };
  if (action === "exec_die") return { kind: "exec-ended", containerId, container, execId };
  if (action === "extract-to-dir") return { kind: "copied-in", containerId, container };
  return undefined;
}

/**
 * The command as gitdock records it: one line, credential shapes (`password=...`, URL credentials)
 * blanked, at most COMMAND_MAX characters. Whoever runs `docker exec` types it; it is not container
 * output, but a password passed as an argument must not land in the journal as it is.
 */
export function recordedCommand(command: string): string {
  const flat = redactCredentialShapes(command)
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, " ")
    .trim();
  return flat.length <= COMMAND_MAX ? flat : `${flat.slice(0, COMMAND_MAX - 1)}…`;
}
