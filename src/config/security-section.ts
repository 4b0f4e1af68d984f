import { z } from "zod";

/**
 * Settings that only the host's root decides: commit signature verification and the host policy.
 * The manifest repository can never override them. Parsed values are handed over as `settings.security`.
 */
export const securitySectionSchema = z.object({}).strict();

export type SecuritySection = z.infer<typeof securitySectionSchema>;

export function securitySectionDefaults(raw: SecuritySection | undefined): SecuritySection {
  return raw ?? {};
}
