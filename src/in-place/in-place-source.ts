/**
 * What the reconcile pass knows of containers changed in place (the agent's watch, in-place-watch.ts):
 * findings to journal through the recorder, and, with `drift.in_place: replace`, the containers the
 * observe stage marks for the planner. Only the agent has one; `gitdock sync` and `plan` do not watch.
 */
import type { HostSnapshot, ResolvedState } from "../plan/types.js";

/** `exec`: someone ran a command in it; `writable layer`: files changed outside what may change. */
export type InPlaceKind = "exec" | "writable layer";

/** One finding as the journal records it: gitdock's words and facts only, never container output. */
export interface InPlaceRecord {
  commit: string;
  stack: string;
  service: string;
  container: string;
  containerId: string;
  kind: InPlaceKind;
  at: string;
  /** `exec: <command>` or `writable layer: 2 added, 1 changed, 0 deleted ...`. */
  reason: string;
  /** `report` or `replace`, as set when it was found. */
  mode: "report" | "replace";
  data: Record<string, unknown>;
}

export interface InPlaceSource {
  readonly mode: "report" | "replace";
  /** Containers found changed in place and still on the host, by id, with what changed in each. */
  changed(): ReadonlyMap<string, InPlaceKind[]>;
  /** Findings the journal does not have yet, oldest first. */
  unrecorded(): InPlaceRecord[];
  /** The pass journaled these. */
  recorded(records: readonly InPlaceRecord[]): void;
  /** What a pass planned toward and the host it saw: which containers to watch, and what each service may change. */
  track(desired: ResolvedState, host: HostSnapshot): void;
}
