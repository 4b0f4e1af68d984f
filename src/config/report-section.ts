import { z } from "zod";

/**
 * Where outcomes are reported besides the journal: git notes and deployment markers.
 * Parsed values are handed over as `settings.report`.
 */
export const reportSectionSchema = z.object({}).strict();

export type ReportSection = z.infer<typeof reportSectionSchema>;

export function reportSectionDefaults(raw: ReportSection | undefined): ReportSection {
  return raw ?? {};
}
