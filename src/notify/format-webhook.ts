import { renderTemplate } from "../config/webhook-template.js";
import type { EventSummary } from "./event-summary.js";
import type { NotificationRequest } from "./notification-request.js";

/** A generic webhook: the user's JSON template with the event's values put in, JSON-escaped. */
export function formatWebhook(s: EventSummary, template: string): NotificationRequest {
  return { headers: { "Content-Type": "application/json" }, body: renderTemplate(template, s.values) };
}
