import type { NotificationEventName } from "../config/report-section.js";
import type { CommitOutcome } from "../reconcile/context.js";

/**
 * What a notification is about: an outcome of this host (from the recorder's outcome listener),
 * or a fleet event the fleet code reports (`notifier.send(event)`).
 */
export type NotificationEvent =
  | { kind: "outcome"; outcome: CommitOutcome }
  /** The hosts of `wave` may now apply `commit`: every earlier wave reported it healthy. */
  | { kind: "wave-advanced"; commit: string; wave: string; hosts: string[]; at: string }
  /** `commit` is held fleet-wide: `host` reported it failed, for `reason`. */
  | { kind: "commit-held"; commit: string; host: string; reason: string; at: string };

/** The event's name in a target's `events` list. */
export function eventName(event: NotificationEvent): NotificationEventName {
  return event.kind === "outcome" ? event.outcome.outcome : event.kind;
}
