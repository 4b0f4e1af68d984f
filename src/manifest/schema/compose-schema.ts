import { z } from "zod";
import { labelsSchema, scalarMap } from "./schema-primitives.js";
import { configSchema } from "./files-schema.js";
import { ipamSchema } from "./ipam-schema.js";
import { secretSchema } from "./host-access-schema.js";
import { serviceSchema } from "./service-schema.js";
import { includeSchema } from "./composition-schema.js";

export const networkSchema = z
  .union(
    [
      z.null(),
      z.strictObject({
        external: z.boolean().optional().describe("Created outside gitdock; it is used, never created or removed."),
        name: z.string().optional().describe("Engine name. Default <project>_<key>."),
        driver: z.string().optional(),
        driver_opts: scalarMap.optional(),
        internal: z.boolean().optional(),
        attachable: z.boolean().optional(),
        labels: labelsSchema.optional(),
        ipam: ipamSchema.optional(),
        enable_ipv6: z.boolean().optional().describe("Give the network IPv6 (the Engine must have an IPv6 pool, or ipam a v6 subnet)."),
      }),
    ],
    { error: "expected a mapping (or nothing)" },
  )
  .describe("A network. `default` customizes the network services join when they name none.");

export const volumeSchema = z
  .union(
    [
      z.null(),
      z.strictObject({
        external: z.boolean().optional().describe("Created outside gitdock; it is used, never created or removed."),
        name: z.string().optional().describe("Engine name. Default <project>_<key>."),
        driver: z.string().optional(),
        driver_opts: scalarMap.optional(),
        labels: labelsSchema.optional(),
      }),
    ],
    { error: "expected a mapping (or nothing)" },
  )
  .describe("A named volume that services mount by its key.");

/**
 * The Compose subset gitdock reads. One schema gives the TypeScript types, the validation and the
 * JSON Schema for editors. It only describes shapes: no transforms and no defaults, so a value that
 * passes is exactly the value that was written, and normalization fills in defaults afterwards.
 */
export const composeFileSchema = z
  .strictObject({
    version: z.union([z.string(), z.number()]).optional().describe("Obsolete in Compose; accepted and ignored."),
    name: z.string().optional().describe("Project name. Default: the directory's name."),
    services: z
      .record(z.string(), serviceSchema, {
        error: (iss) => (iss.input === undefined ? "missing: a compose file needs a services: mapping" : undefined),
      })
      .describe("The services of this stack."),
    networks: z.record(z.string(), networkSchema).optional(),
    volumes: z.record(z.string(), volumeSchema).optional(),
    secrets: z.record(z.string(), secretSchema).optional(),
    configs: z.record(z.string(), configSchema).optional(),
    include: includeSchema.optional(),
  })
  .describe("A gitdock stack: the subset of the Compose Specification that gitdock applies.");

export type ComposeFileInput = z.infer<typeof composeFileSchema>;
export type NetworkInput = NonNullable<z.infer<typeof networkSchema>>;
export type VolumeInput = NonNullable<z.infer<typeof volumeSchema>>;
export type SecretInput = z.infer<typeof secretSchema>;
