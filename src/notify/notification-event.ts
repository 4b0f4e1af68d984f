import type { NotificationEventName } from "../config/report-section.js";
import type { FleetEvent } from "../fleet/fleet-memory.js";
import type { CommitOutcome } from "../reconcile/context.js";

/**
 * What a notification is about: an outcome of this host (from the recorder's outcome listener),
 * or a fleet event the fleet code reports (`notifier.send(event)`).
 */
export type NotificationEvent = { kind: "outcome"; outcome: CommitOutcome } | FleetEvent;

/** The event's name in a target's `events` list. */
export function eventName(event: NotificationEvent): NotificationEventName {
  return event.kind === "outcome" ? event.outcome.outcome : event.kind;
}
