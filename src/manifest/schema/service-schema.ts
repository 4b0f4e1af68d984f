import { z } from "zod";
import { deploySchema } from "./deploy-schema.js";
import { extendsSchema, profilesSchema } from "./composition-schema.js";
import { serviceConfigsSchema } from "./files-schema.js";
import { devicesSchema, ipcSchema, pidSchema, serviceSecretsSchema } from "./host-access-schema.js";
import { byteSize, duration, labelsSchema, stringList, stringOrList } from "./schema-primitives.js";
import {
  containerNameSchema,
  cpusSchema,
  dnsOptSchema,
  dnsSchema,
  dnsSearchSchema,
  exposeSchema,
  externalLinksSchema,
  groupAddSchema,
  linksSchema,
  memswapLimitSchema,
  pidsLimitSchema,
  platformSchema,
  pullPolicySchema,
  sysctlsSchema,
} from "./container-keys-schema.js";
import {
  dependsOnSchema,
  envFileSchema,
  environmentSchema,
  extraHostsSchema,
  gitdockOptionsSchema,
  healthcheckSchema,
  loggingSchema,
  portEntry,
  serviceNetworksSchema,
  ulimitsSchema,
  volumeEntry,
} from "./service-parts-schema.js";

/** The service keys gitdock supports. Any other key (except `x-*`) is reported as unsupported. */
export const serviceSchema = z
  .strictObject({
    image: z
      .string({ error: (iss) => (iss.input === undefined ? "missing: every service needs an image pinned by digest" : undefined) })
      .min(1)
      .describe("Image pinned by digest: repo[:tag]@sha256:<64 hex>."),
    command: stringOrList.optional().describe("A string is split like a shell would, without running a shell."),
    entrypoint: stringOrList.optional(),
    environment: environmentSchema.optional(),
    env_file: envFileSchema.optional(),
    ports: z.array(portEntry).optional(),
    volumes: z.array(volumeEntry).optional(),
    networks: serviceNetworksSchema.optional(),
    labels: labelsSchema.optional(),
    restart: z
      .string()
      .regex(/^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/, {
        error: 'expected "no", "always", "on-failure", "on-failure:N" or "unless-stopped"',
      })
      .optional(),
    healthcheck: healthcheckSchema.optional(),
    user: z.union([z.string(), z.int()], { error: 'expected a user like "1000" or "app:app"' }).optional(),
    working_dir: z.string().optional(),
    read_only: z.boolean().optional(),
    cap_add: stringList.optional(),
    cap_drop: stringList.optional(),
    privileged: z.boolean().optional(),
    network_mode: z.string().optional().describe('"host", "none", "bridge", "service:<name>" or "container:<id>"; excludes networks.'),
    depends_on: dependsOnSchema.optional(),
    deploy: deploySchema.optional(),
    stop_grace_period: duration.optional(),
    stop_signal: z.string().optional(),
    hostname: z.string().optional(),
    extra_hosts: extraHostsSchema.optional(),
    logging: loggingSchema.optional(),
    init: z.boolean().optional(),
    tmpfs: stringOrList.optional(),
    ulimits: ulimitsSchema.optional(),
    pid: pidSchema.optional(),
    ipc: ipcSchema.optional(),
    devices: devicesSchema.optional(),
    secrets: serviceSecretsSchema.optional(),
    container_name: containerNameSchema.optional(),
    expose: exposeSchema.optional(),
    links: linksSchema.optional(),
    external_links: externalLinksSchema.optional(),
    platform: platformSchema.optional(),
    pull_policy: pullPolicySchema.optional(),
    runtime: z.string().min(1).optional().describe("The container runtime (runc, ...). The host policy lists the allowed ones."),
    security_opt: stringList.optional().describe('Security options ("no-new-privileges:true", "label=...", ...). The host policy lists the allowed ones.'),
    sysctls: sysctlsSchema.optional(),
    shm_size: byteSize.optional().describe('Size of /dev/shm: "64m", "1g".'),
    dns: dnsSchema.optional(),
    dns_search: dnsSearchSchema.optional(),
    dns_opt: dnsOptSchema.optional(),
    tty: z.boolean().optional().describe("Allocate a pseudo-terminal."),
    stdin_open: z.boolean().optional().describe("Keep the container's standard input open."),
    group_add: groupAddSchema.optional(),
    mem_limit: byteSize.optional().describe("Memory limit; the same as deploy.resources.limits.memory."),
    memswap_limit: memswapLimitSchema.optional(),
    mem_reservation: byteSize.optional().describe("Memory reservation; the same as deploy.resources.reservations.memory."),
    cpus: cpusSchema.optional().describe("CPU limit; the same as deploy.resources.limits.cpus."),
    cpu_shares: z.int().min(0).optional().describe("Relative CPU weight (default 1024)."),
    pids_limit: pidsLimitSchema.optional(),
    configs: serviceConfigsSchema.optional(),
    profiles: profilesSchema.optional(),
    extends: extendsSchema.optional(),
    "x-gitdock": gitdockOptionsSchema.optional(),
  })
  .describe("A service: one image run as `deploy.replicas` containers named <project>-<service>-<n>.");

export type ServiceInput = z.infer<typeof serviceSchema>;
