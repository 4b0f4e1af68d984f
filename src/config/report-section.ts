import { z } from "zod";
import { CONFIG_DEFAULTS } from "./defaults.js";

const D = CONFIG_DEFAULTS.report;

/**
 * Where outcomes are reported besides the journal: git notes and deployment markers
 * (src/audit/). Parsed and defaulted values are handed over as `settings.report`.
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
  })
  .strict();

export type ReportSectionInput = z.infer<typeof reportSectionSchema>;

export interface ReportSection {
  gitNotes: boolean;
  notesRef: string;
  /** The key outcome lines are signed with; undefined: `<state_dir>/outcome.key`. */
  outcomeKeyFile: string | undefined;
  notify: { url: string; secretFile: string; maxAttempts: number } | undefined;
}

export function reportSectionDefaults(raw: ReportSectionInput | undefined): ReportSection {
  const notify = raw?.notify;
  return {
    gitNotes: raw?.git_notes ?? D.git_notes,
    notesRef: raw?.notes_ref ?? D.notes_ref,
    outcomeKeyFile: raw?.outcome_key_file,
    notify: notify ? { url: notify.url, secretFile: notify.secret_file, maxAttempts: notify.max_attempts ?? D.notify.max_attempts } : undefined,
  };
}
