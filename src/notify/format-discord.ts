import { escapeMarkdown } from "./escape-markdown.js";
import type { EventSummary } from "./event-summary.js";
import { jsonRequest, type NotificationRequest } from "./notification-request.js";
import { clip } from "./text-limits.js";

/** Discord's documented limits for a webhook message and its embeds. */
export const DISCORD_LIMITS = { content: 2000, fieldName: 256, fieldValue: 1024, fields: 25, footer: 2048, embedTotal: 6000 } as const;

const COLOR = { good: 0x2eb67d, warn: 0xecb22e, bad: 0xe01e5a } as const;

/**
 * A Discord webhook's message: the title as `content`, the facts in one embed (colour by tone,
 * the event's time), and `allowed_mentions: {parse: []}` so no text in it pings anyone
 * (`@everyone`, a role, a user), whatever a reason holds. Every text is Markdown-escaped before it
 * is cut to its limit.
 */
export function formatDiscord(s: EventSummary): NotificationRequest {
  const footer = "gitdock";
  return jsonRequest({
    content: clip(escapeMarkdown(s.title), DISCORD_LIMITS.content),
    embeds: [{ color: COLOR[s.tone], fields: fieldsWithin(s.facts, DISCORD_LIMITS.embedTotal - footer.length), footer: { text: footer }, timestamp: s.at }],
    allowed_mentions: { parse: [] },
  });
}

/** The facts as embed fields, each within its limits and all of them within the embed's total. */
function fieldsWithin(facts: EventSummary["facts"], budget: number): { name: string; value: string; inline: boolean }[] {
  const fields: { name: string; value: string; inline: boolean }[] = [];
  let left = budget;
  for (const f of facts.slice(0, DISCORD_LIMITS.fields)) {
    const name = clip(escapeMarkdown(f.name), DISCORD_LIMITS.fieldName);
    const room = Math.min(DISCORD_LIMITS.fieldValue, left - name.length);
    if (room < 2) break;
    const value = clip(escapeMarkdown(f.value), room);
    fields.push({ name, value, inline: value.length <= 40 });
    left -= name.length + value.length;
  }
  return fields;
}
