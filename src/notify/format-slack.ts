import type { EventSummary } from "./event-summary.js";
import { jsonRequest, type NotificationRequest } from "./notification-request.js";
import { clip } from "./text-limits.js";

/** Slack's documented limits: a section's text, a field's text, the fields of one section. */
const SECTION_TEXT_MAX = 3000;
const FIELD_TEXT_MAX = 2000;
const FIELDS_MAX = 10;

/**
 * A Slack incoming webhook's message: `text` (the notification's and screen readers' fallback) and
 * Block Kit blocks. Every value is escaped as Slack's formatting asks (`&`, `<`, `>`), so a name in
 * a reason can neither link nor mention (`<!channel>`).
 */
export function formatSlack(s: EventSummary): NotificationRequest {
  const fields = s.facts
    .slice(0, FIELDS_MAX)
    .map((f) => ({ type: "mrkdwn", text: clip(`*${escapeMrkdwn(f.name)}*\n${escapeMrkdwn(f.value)}`, FIELD_TEXT_MAX) }));
  return jsonRequest({
    text: clip(escapeMrkdwn(s.title), SECTION_TEXT_MAX),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: clip(`*${escapeMrkdwn(s.title)}*`, SECTION_TEXT_MAX) } },
      ...(fields.length > 0 ? [{ type: "section", fields }] : []),
      { type: "context", elements: [{ type: "mrkdwn", text: escapeMrkdwn(`gitdock · ${s.at}`) }] },
    ],
  });
}

/** The three characters Slack reads as markup, as its formatting reference escapes them. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
