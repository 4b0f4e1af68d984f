import { z } from "zod";
import { parseDuration } from "../agent/sync-windows.js";

/**
 * Containers changed in place (src/in-place/): what the running agent does when a managed
 * container is changed by something other than a commit — an `exec` session, or files written to
 * its writable layer outside its volumes, bind mounts, tmpfs and `x-gitdock.writable_paths`.
 * Parsed and defaulted values are handed over as `settings.drift`.
 */
export const driftSectionSchema = z
  .strictObject({
    in_place: z
      .enum(["report", "replace", "off"])
      .describe(
        "report: log, count, show in status and journal each change (default); replace: also replace the container from its image, as any other drift (within the repair budget); off: do not watch",
      )
      .optional(),
    scan_interval: z
      .string()
      .regex(/^(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/, "expected a duration such as 5m, 30s or 1h")
      .refine((s) => isPositiveDuration(s), "must be at least 1s")
      .describe(
        "How often each running managed container's writable layer is compared with its image, one container at a time, spread over the interval (default 5m); also right after an exec or a `docker cp` into it",
      )
      .optional(),
  })
  .describe("Containers changed in place: exec sessions and writes to the writable layer");

export type DriftSectionInput = z.infer<typeof driftSectionSchema>;

export interface DriftSection {
  inPlace: "report" | "replace" | "off";
  scanIntervalMs: number;
}

export const DRIFT_DEFAULTS = { inPlace: "report", scanInterval: "5m" } as const;

export function driftSectionDefaults(raw: DriftSectionInput | undefined): DriftSection {
  return { inPlace: raw?.in_place ?? DRIFT_DEFAULTS.inPlace, scanIntervalMs: parseDuration(raw?.scan_interval ?? DRIFT_DEFAULTS.scanInterval) };
}

function isPositiveDuration(s: string): boolean {
  try {
    return parseDuration(s) >= 1000;
  } catch {
    return false;
  }
}
