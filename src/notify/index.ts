/**
 * Notifications where teams look: outcomes of this host and fleet events, delivered to Slack,
 * Discord, Microsoft Teams, ntfy and templated webhooks (`report.notifications`).
 *  - notification-event.ts: what is sent; event-summary.ts: how it reads (the vetted fields only).
 *  - format-*.ts: one pure formatter per service, summary → the exact request.
 *  - delivery-queue.ts: one queue per target, bounded retries and backoff, Retry-After honoured
 *    (deployment markers use it too); notifier.ts routes events to the targets that want them.
 */
export { Notifier, type NotificationChannel, type DeliveryTuning } from "./notifier.js";
export { openNotifier } from "./open-notifier.js";
export { eventName, type NotificationEvent } from "./notification-event.js";
export type { NotificationSource } from "./event-summary.js";
export { DeliveryQueue, type Delivery, type DeliveryQueueOptions } from "./delivery-queue.js";
