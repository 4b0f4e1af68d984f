import { z } from "zod";

/**
 * Where outcomes are reported besides the journal: git notes and deployment markers
 * (src/audit/). Parsed and defaulted values are handed over as `settings.report`.
 */
export const reportSectionSchema = z
  .object({
    git_notes: z
      .boolean()
      .describe("Record each outcome as a line for this host in a Git note on the commit and push it (needs push rights; default false)")
      .optional(),
    notes_ref: z
      .string()
      .regex(/^refs\/notes\/[A-Za-z0-9][A-Za-z0-9._/-]*$/, "must be a ref under refs/notes/")
      .refine((r) => !r.includes("..") && !r.endsWith("/") && !r.endsWith(".lock"), "is not a valid ref name")
      .describe("The notes ref (default refs/notes/gitdock; read it with `git log --notes=gitdock`)")
      .optional(),
    notify: z
      .object({
        url: z
          .string()
          .url()
          .regex(/^https?:\/\//i, "must be an http:// or https:// URL")
          .describe("Where deployment markers are POSTed as JSON"),
        secret_file: z.string().min(1).describe("File whose first line is the HMAC-SHA256 key; the body's signature goes in X-Gitdock-Signature: sha256=<hex>"),
        max_attempts: z.number().int().min(1).max(20).describe("Delivery attempts per marker, with backoff (default 5)").optional(),
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
  notify: { url: string; secretFile: string; maxAttempts: number } | undefined;
}

export const DEFAULT_NOTES_REF = "refs/notes/gitdock";
export const DEFAULT_NOTIFY_ATTEMPTS = 5;

export function reportSectionDefaults(raw: ReportSectionInput | undefined): ReportSection {
  const notify = raw?.notify;
  return {
    gitNotes: raw?.git_notes ?? false,
    notesRef: raw?.notes_ref ?? DEFAULT_NOTES_REF,
    notify: notify ? { url: notify.url, secretFile: notify.secret_file, maxAttempts: notify.max_attempts ?? DEFAULT_NOTIFY_ATTEMPTS } : undefined,
  };
}
