import { z } from "zod";
import { CONFIG_DEFAULTS } from "./defaults.js";
import { templateProblem } from "./webhook-template.js";

const D = CONFIG_DEFAULTS.report;
const N = D.notifications;

/** What a notification target may be sent: an outcome of this host, or a fleet event. */
export type NotificationEventName = (typeof N.events)[number];
export const NOTIFICATION_TARGET_TYPES = ["slack", "discord", "teams", "ntfy", "webhook"] as const;
export type NotificationTargetType = (typeof NOTIFICATION_TARGET_TYPES)[number];

const notificationTargetSchema = z
  .object({
    type: z
      .enum(NOTIFICATION_TARGET_TYPES)
      .describe(
        "slack and discord: their incoming webhooks; teams: a Workflows webhook (an Adaptive Card); ntfy: a server's JSON publish; webhook: your template",
      ),
    url_file: z
      .string()
      .min(1)
      .describe(
        "File whose first line is the URL (webhook URLs are secrets: mode 0600, owned by root); for ntfy, the server's root URL such as https://ntfy.sh",
      ),
    events: z
      .array(z.enum(N.events))
      .min(1)
      .describe(`Which events this target is sent (default all: ${N.events.join(", ")})`)
      .optional(),
    max_attempts: z.number().int().min(1).max(20).describe(`Delivery attempts per message, with backoff (default ${N.max_attempts})`).optional(),
    ntfy: z
      .object({
        topic: z
          .string()
          .regex(/^[-_A-Za-z0-9]{1,64}$/, "must be 1 to 64 letters, digits, - or _ (ntfy's topic names)")
          .describe("The topic published to"),
        priority: z.number().int().min(1).max(5).describe("1 (min) to 5 (max) for every event (default: 4 for failures, 3 for the rest)").optional(),
      })
      .strict()
      .describe("For type ntfy: the topic, and a priority")
      .optional(),
    webhook: z
      .object({
        template: z
          .string()
          .min(1)
          .describe("The JSON body, with placeholders such as {{host}}, {{commit}}, {{outcome}}, {{reason}} inside its strings (values are JSON-escaped)"),
      })
      .strict()
      .describe("For type webhook: the body template")
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    for (const key of ["ntfy", "webhook"] as const) {
      if (t.type === key && t[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `a target of type ${key} needs its ${key} section` });
      if (t.type !== key && t[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `only a target of type ${key} takes a ${key} section` });
    }
    const problem = t.webhook && templateProblem(t.webhook.template);
    if (problem) ctx.addIssue({ code: "custom", path: ["webhook", "template"], message: problem });
  });

/**
 * Where outcomes are reported besides the journal: git notes and deployment markers
 * (src/audit/), notifications to chat and push services (src/notify/). Parsed and defaulted values are handed over as `settings.report`.
 */
export const reportSectionSchema = z
  .object({
    git_notes: z
      .boolean()
      .describe(`Record each outcome as a line for this host in a Git note on the commit and push it (needs push rights; default ${D.git_notes})`)
      .optional(),
    notes_ref: z
      .string()
      .regex(/^refs\/notes\/[A-Za-z0-9][A-Za-z0-9._/-]*$/, "must be a ref under refs/notes/")
      .refine((r) => !r.includes("..") && !r.endsWith("/") && !r.endsWith(".lock"), "is not a valid ref name")
      .describe(`The notes ref (default ${D.notes_ref}; read it with \`git log --notes=gitdock\`)`)
      .optional(),
    outcome_key_file: z
      .string()
      .min(1)
      .describe(
        "An unencrypted ed25519 key (ssh-keygen -t ed25519 -N '') this host signs its outcome lines with (default: <state_dir>/outcome.key, made on first start)",
      )
      .optional(),
    notify: z
      .object({
        url: z
          .string()
          .url()
          .regex(/^https?:\/\//i, "must be an http:// or https:// URL")
          .describe("Where deployment markers are POSTed as JSON"),
        secret_file: z.string().min(1).describe("File whose first line is the HMAC-SHA256 key; the body's signature goes in X-Gitdock-Signature: sha256=<hex>"),
        max_attempts: z.number().int().min(1).max(20).describe(`Delivery attempts per marker, with backoff (default ${D.notify.max_attempts})`).optional(),
      })
      .strict()
      .describe("Deployment markers: one signed HTTP POST per outcome, for chat and incident tools")
      .optional(),
    notifications: z
      .array(notificationTargetSchema)
      .describe("Messages where teams look (Slack, Discord, Teams, ntfy, a templated webhook): outcomes and fleet events, each target with its events")
      .optional(),
  })
  .strict();

export type ReportSectionInput = z.infer<typeof reportSectionSchema>;

export interface ReportSection {
  gitNotes: boolean;
  notesRef: string;
  /** The key outcome lines are signed with; undefined: `<state_dir>/outcome.key`. */
  outcomeKeyFile: string | undefined;
  notify: { url: string; secretFile: string; maxAttempts: number } | undefined;
  notifications: NotificationTarget[];
}

/** One entry of report.notifications, defaults filled in. */
export interface NotificationTarget {
  type: NotificationTargetType;
  /** Where it is in the config, for messages: `report.notifications.2`. */
  configPath: string;
  urlFile: string;
  events: NotificationEventName[];
  maxAttempts: number;
  ntfy: { topic: string; priority: number | undefined } | undefined;
  template: string | undefined;
}

export function reportSectionDefaults(raw: ReportSectionInput | undefined): ReportSection {
  const notify = raw?.notify;
  return {
    gitNotes: raw?.git_notes ?? D.git_notes,
    notesRef: raw?.notes_ref ?? D.notes_ref,
    outcomeKeyFile: raw?.outcome_key_file,
    notify: notify ? { url: notify.url, secretFile: notify.secret_file, maxAttempts: notify.max_attempts ?? D.notify.max_attempts } : undefined,
    notifications: (raw?.notifications ?? []).map(notificationTargetDefaults),
  };
}

function notificationTargetDefaults(t: z.infer<typeof notificationTargetSchema>, index: number): NotificationTarget {
  return {
    type: t.type,
    configPath: `report.notifications.${index}`,
    urlFile: t.url_file,
    events: [...(t.events ?? N.events)],
    maxAttempts: t.max_attempts ?? N.max_attempts,
    ntfy: t.ntfy ? { topic: t.ntfy.topic, priority: t.ntfy.priority } : undefined,
    template: t.webhook?.template,
  };
}
