import { escapeMarkdown } from "./escape-markdown.js";
import type { EventSummary } from "./event-summary.js";
import { jsonRequest, type NotificationRequest } from "./notification-request.js";
import { clip } from "./text-limits.js";

/** Teams refuses messages over about 28 KB; a value this long is cut well before that. */
const VALUE_MAX = 2000;

const COLOR = { good: "Good", warn: "Warning", bad: "Attention" } as const;

/**
 * A Microsoft Teams Workflows webhook's message ("Post to a channel when a webhook request is
 * received"): one Adaptive Card 1.4 as the message's attachment, the title, the facts as a FactSet
 * and the time. A TextBlock's text and a fact's title and value are Markdown to Teams: every one
 * is escaped.
 */
export function formatTeams(s: EventSummary): NotificationRequest {
  return jsonRequest({
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: clip(escapeMarkdown(s.title), VALUE_MAX), weight: "Bolder", size: "Medium", color: COLOR[s.tone], wrap: true },
            { type: "FactSet", facts: s.facts.map((f) => ({ title: escapeMarkdown(f.name), value: clip(escapeMarkdown(f.value), VALUE_MAX) })) },
            { type: "TextBlock", text: escapeMarkdown(`gitdock · ${s.at}`), isSubtle: true, size: "Small", wrap: true },
          ],
        },
      },
    ],
  });
}
