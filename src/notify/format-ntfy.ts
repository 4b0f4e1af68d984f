import type { EventSummary } from "./event-summary.js";
import { jsonRequest, type NotificationRequest } from "./notification-request.js";
import { clip, clipBytes } from "./text-limits.js";

/** ntfy keeps a longer message as an attachment instead; the title is cut for phones' sake. */
export const NTFY_MESSAGE_MAX_BYTES = 4096;
const TITLE_MAX = 250;

/** ntfy's tags that are emoji shortcodes: shown in front of the title. */
const EMOJI = { good: "white_check_mark", warn: "pause_button", bad: "rotating_light" } as const;
/** Without a configured priority: failures (paused ones too) high (4), the rest ntfy's default (3). */
const PRIORITY = { good: 3, warn: 4, bad: 4 } as const;

/**
 * ntfy, published as JSON to the server's root URL (`POST https://ntfy.sh/` with the topic in the
 * body, ntfy's "publish as JSON"), rather than to /<topic> with Title/Priority/Tags headers: header
 * values cannot carry every character a reason may hold, a JSON body can.
 */
export function formatNtfy(s: EventSummary, ntfy: { topic: string; priority: number | undefined }): NotificationRequest {
  const message = s.facts.map((f) => `${f.name}: ${f.value}`).join("\n");
  return jsonRequest({
    topic: ntfy.topic,
    title: clip(s.headline, TITLE_MAX),
    message: clipBytes(message, NTFY_MESSAGE_MAX_BYTES),
    tags: [EMOJI[s.tone], s.name],
    priority: ntfy.priority ?? PRIORITY[s.tone],
  });
}
