import type { NotificationTarget } from "../config/report-section.js";
import type { Logger } from "../log.js";
import { DeliveryQueue, type DeliveryQueueOptions } from "./delivery-queue.js";
import { summarize, type EventSummary, type NotificationSource } from "./event-summary.js";
import { formatRequest } from "./format-request.js";
import { eventName, type NotificationEvent } from "./notification-event.js";

/** A configured target with its URL, read from its url_file (open-notifier.ts). */
export interface NotificationChannel {
  target: NotificationTarget;
  url: string;
}

/** Delivery tuning; the defaults suit a service (tests shorten the waits). */
export type DeliveryTuning = Pick<DeliveryQueueOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs" | "timeoutMs" | "capacity" | "fetch">;

interface Route {
  target: NotificationTarget;
  queue: DeliveryQueue;
}

/**
 * Delivers events to every target that asked for them, each target with its own queue (a dead
 * Discord does not hold up Slack), in the background: `send` formats, queues and returns, and never
 * throws, so neither a pass nor the fleet code ever waits on a chat service. `idle()` waits until
 * every queued message is delivered or given up (tests, shutdown).
 */
export class Notifier {
  private readonly routes: Route[];

  constructor(
    channels: readonly NotificationChannel[],
    private readonly opts: { source: NotificationSource; log: Logger; tuning?: DeliveryTuning },
  ) {
    this.routes = channels.map(({ target, url }) => ({
      target,
      queue: new DeliveryQueue({
        ...opts.tuning,
        url,
        what: `${target.type} notification`,
        // The type and the host name only: the rest of a webhook URL is its secret.
        target: { target: target.type, targetHost: new URL(url).hostname, config: target.configPath },
        maxAttempts: target.maxAttempts,
        log: opts.log,
      }),
    }));
  }

  /** How many targets are configured. */
  get size(): number {
    return this.routes.length;
  }

  /** Queues the event for every target that asked for it, and returns; never throws. */
  send(event: NotificationEvent): void {
    const name = eventName(event);
    const routes = this.routes.filter((r) => r.target.events.includes(name));
    if (routes.length === 0) return;
    let summary: EventSummary;
    try {
      summary = summarize(event, this.opts.source);
    } catch (err) {
      this.opts.log.warn({ stage: "report", event: name, error: (err as Error).message }, "could not read a notification's event; not sent");
      return;
    }
    for (const route of routes) {
      // One target's formatting trouble costs that target its message, not the others theirs.
      try {
        const request = formatRequest(route.target, summary);
        route.queue.enqueue({ ...request, about: { event: name, commit: summary.values.commit } });
      } catch (err) {
        this.opts.log.warn(
          { stage: "report", target: route.target.type, event: name, error: (err as Error).message },
          "could not format a notification; not sent",
        );
      }
    }
  }

  /** Resolves when every target's queue is empty: each message delivered or given up. */
  async idle(): Promise<void> {
    await Promise.all(this.routes.map((r) => r.queue.idle()));
  }
}
