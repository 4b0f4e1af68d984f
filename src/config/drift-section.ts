import { z } from "zod";
import { DURATION_EXAMPLES, DURATION_PATTERN, parseDurationMs } from "../duration.js";
import { CONFIG_DEFAULTS } from "./defaults.js";

/**
 * Containers changed in place (src/in-place/): what the running agent does when a managed
 * container is changed by something other than a commit — an `exec` session, or files written to
 * its writable layer outside its volumes, bind mounts, tmpfs and `x-gitdock.writable_paths`.
 * Parsed values, every default filled in from CONFIG_DEFAULTS.drift, are handed over as `settings.drift`.
 */
const D = CONFIG_DEFAULTS.drift;

/** Scans spread one container at a time over the interval: below a second they would never rest. */
const MIN_SCAN_INTERVAL_MS = 1000;

export const driftSectionSchema = z
  .strictObject({
    in_place: z
      .enum(["report", "replace", "off"])
      .describe(
        `report: log, count, show in status and journal each change; replace: also replace the container from its image, as any other drift (within the repair budget); off: do not watch (default ${D.in_place})`,
      )
      .optional(),
    scan_interval: z
      .string()
      .regex(DURATION_PATTERN, `expected a duration, ${DURATION_EXAMPLES}`)
      .refine((s) => !DURATION_PATTERN.test(s) || (parseDurationMs(s) ?? 0) >= MIN_SCAN_INTERVAL_MS, "must be at least 1s")
      .describe(
        `How often each running managed container's writable layer is compared with its image, one container at a time, spread over the interval (default ${D.scan_interval}); also right after an exec or a \`docker cp\` into it`,
      )
      .optional(),
  })
  .describe("Containers changed in place: exec sessions and writes to the writable layer");

export type DriftSectionInput = z.infer<typeof driftSectionSchema>;

export interface DriftSection {
  inPlace: "report" | "replace" | "off";
  scanIntervalMs: number;
}

export function driftSectionDefaults(raw: DriftSectionInput | undefined): DriftSection {
  return { inPlace: raw?.in_place ?? D.in_place, scanIntervalMs: parseDurationMs(raw?.scan_interval ?? D.scan_interval) ?? MIN_SCAN_INTERVAL_MS };
}
