import { z } from "zod";
import { DURATION_EXAMPLES, DURATION_PATTERN } from "../duration.js";

/**
 * The fleet file (`fleet.yaml` at the root of the manifest path): which hosts exist, the key each
 * signs its outcome lines with, and the waves a release moves through. One zod schema gives the
 * types, the validation (every problem with file:line:col, read-fleet-file.ts) and the JSON Schema
 * editors use (schema/fleet.schema.json). Shapes only; defaults are FLEET_DEFAULTS.
 */

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A host id, or a pattern over the declared ids with `*` and `?`. */
const HOST_PATTERN = /^[A-Za-z0-9_.*?-]+$/;

const duration = z.string().regex(DURATION_PATTERN, `expected a duration, ${DURATION_EXAMPLES}`);
const allowance = z.number().int().min(0);

export const FLEET_DEFAULTS = {
  soak: "0s",
  report_timeout: "10m",
  max_failures: 0,
  max_unreachable: 0,
  on_failure: "hold",
} as const;

const D = FLEET_DEFAULTS;

export const fleetHostSchema = z
  .object({
    key: z
      .string()
      .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}( .*)?$/, "expected an SSH public key line, e.g. ssh-ed25519 AAAA… host")
      .describe("The SSH public key this host signs its outcome lines with (`gitdock fleet key` prints it on the host)"),
  })
  .strict();

export const waveSchema = z
  .object({
    name: z.string().regex(HOST_ID, "a wave's name is one word: letters, digits, `.`, `_`, `-`").describe("The wave's name in status, logs and notifications"),
    hosts: z
      .array(z.string().regex(HOST_PATTERN, "expected a host id or a pattern with * and ?"))
      .min(1)
      .describe("Host ids, or patterns over the declared ids"),
    soak: duration.describe(`How long every host of this wave must have been healthy before the next wave applies (default ${D.soak})`).optional(),
    report_timeout: duration
      .describe(`A host of this wave that has not reported within this time after the wave opened counts as unreachable (default ${D.report_timeout})`)
      .optional(),
    max_failures: allowance.describe(`Hosts of this wave that may report a commit failed before it is held fleet-wide (default ${D.max_failures})`).optional(),
    max_unreachable: allowance.describe(`Hosts of this wave that may not report and the next wave still goes on (default ${D.max_unreachable})`).optional(),
    on_failure: z
      .enum(["hold", "rollback"])
      .describe(
        `When this wave holds a commit fleet-wide, what the hosts that applied it do: keep it (hold) or go back to their previous good commit (rollback) (default ${D.on_failure})`,
      )
      .optional(),
  })
  .strict();

export const fleetFileSchema = z
  .object({
    hosts: z
      .record(z.string().regex(HOST_ID, "expected a host id: letters, digits, `.`, `_`, `-`"), fleetHostSchema)
      .describe("Every host of the fleet by its host_id"),
    waves: z.array(waveSchema).min(1).describe("The waves, in order: a commit reaches wave N+1 only after wave N is healthy for its soak"),
  })
  .strict();

export type FleetFileInput = z.infer<typeof fleetFileSchema>;
