import type { NotificationTarget } from "../config/report-section.js";
import type { EventSummary } from "./event-summary.js";
import { formatDiscord } from "./format-discord.js";
import { formatNtfy } from "./format-ntfy.js";
import { formatSlack } from "./format-slack.js";
import { formatTeams } from "./format-teams.js";
import { formatWebhook } from "./format-webhook.js";
import type { NotificationRequest } from "./notification-request.js";

/** The request for one target's service; the config guarantees an ntfy target its topic and a webhook its template. */
export function formatRequest(target: Pick<NotificationTarget, "type" | "ntfy" | "template">, s: EventSummary): NotificationRequest {
  switch (target.type) {
    case "slack":
      return formatSlack(s);
    case "discord":
      return formatDiscord(s);
    case "teams":
      return formatTeams(s);
    case "ntfy":
      return formatNtfy(s, target.ntfy ?? missing("ntfy"));
    case "webhook":
      return formatWebhook(s, target.template ?? missing("webhook.template"));
  }
}

function missing(key: string): never {
  throw new Error(`the ${key} section is missing (the config schema requires it)`);
}
