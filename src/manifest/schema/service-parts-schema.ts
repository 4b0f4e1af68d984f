import { z } from "zod";
import { DEFAULT_EXPECT_STATUS, DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_JOB_TIMEOUT_MS, DEFAULT_PROBE_PATH } from "../defaults.js";
import { byteSize, duration, portNumber, scalar, stringList, stringOrList } from "./schema-primitives.js";

/** The schemas of a service's structured keys; `service-schema.ts` puts them together. */

export const portLong = z.strictObject({
  target: portNumber.describe("Port inside the container."),
  published: z.union([z.string(), portNumber]).optional().describe('Host port or range ("8080", "8080-8081").'),
  host_ip: z.string().optional().describe("Host address to bind to."),
  protocol: z.enum(["tcp", "udp", "sctp"]).optional(),
  mode: z
    .enum(["ingress", "host"])
    .optional()
    .describe(
      "On a Swarm (engine: swarm): ingress (default) publishes through the routing mesh on every node, host only on the node that runs the task. On plain containers accepted and ignored.",
    ),
});

export const portEntry = z.union([z.string(), portNumber, portLong], {
  error: 'expected a port like "8080:80" or a mapping',
});

export const volumeLong = z.strictObject({
  type: z.enum(["volume", "bind", "tmpfs"]),
  source: z
    .string()
    .optional()
    .describe("Volume key; or for a bind mount an absolute host path, or a path relative to the compose file (a file of the repository, mounted read-only, or else a data directory)."),
  target: z.string().describe("Absolute path inside the container."),
  read_only: z.boolean().optional(),
  volume: z.strictObject({ nocopy: z.boolean().optional() }).optional(),
  bind: z
    .strictObject({
      create_host_path: z.boolean().optional(),
      selinux: z.enum(["z", "Z"]).optional().describe("SELinux relabeling of the source: z shared between containers, Z private to this one."),
    })
    .optional(),
  tmpfs: z.strictObject({ size: byteSize.optional() }).optional(),
});

export const volumeEntry = z.union([z.string(), volumeLong], {
  error: 'expected "volume:/path", "/host/path:/path[:ro]", "./path:/path[:ro]" or a mapping with type and target',
});

const envFileLong = z.strictObject({ path: z.string(), required: z.boolean().optional() });

export const envFileSchema = z
  .union([z.string(), z.array(z.union([z.string(), envFileLong], { error: "expected a path or a mapping with path" }))], {
    error: "expected a path or a list of them",
  })
  .describe("Env files: absolute host paths, read on the host when gitdock plans, or paths relative to the compose file, read from the repository.");

export const environmentSchema = z
  .union([stringList, z.record(z.string(), z.union([scalar, z.null()]))], {
    error: 'expected a mapping or a list of "KEY=VALUE" strings',
  })
  .describe("Environment variables; every variable needs a value.");

const serviceNetwork = z.strictObject({
  aliases: stringList.optional(),
  ipv4_address: z.string().optional(),
});

export const serviceNetworksSchema = z.union([stringList, z.record(z.string(), z.union([serviceNetwork, z.null()]))], {
  error: "expected a list of network keys or a mapping",
});

const dependency = z.strictObject({
  condition: z.enum(["service_started", "service_healthy", "service_completed_successfully"]).optional(),
  required: z.boolean().optional(),
  restart: z.boolean().optional().describe("Accepted for compatibility and ignored."),
});

export const dependsOnSchema = z.union([stringList, z.record(z.string(), dependency)], {
  error: "expected a list of service names or a mapping",
});

export const healthcheckSchema = z.strictObject({
  test: stringOrList.optional().describe('A shell command string, or ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"].'),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: z.int().min(0).optional(),
  start_period: duration.optional(),
  start_interval: duration
    .optional()
    .describe("Accepted and not sent: it needs Engine API 1.44 and gitdock speaks 1.41; gitdock logs it once per service."),
  disable: z.boolean().optional(),
});

export const extraHostsSchema = z.union([stringList, z.record(z.string(), stringOrList)], {
  error: 'expected a list of "host:ip" strings or a mapping',
});

export const loggingSchema = z.strictObject({
  driver: z.string().optional(),
  options: z.record(z.string(), scalar).optional(),
});

export const ulimitsSchema = z.record(
  z.string(),
  z.union([z.int().min(-1), z.strictObject({ soft: z.int().min(-1), hard: z.int().min(-1) })], {
    error: "expected a number or a mapping with soft and hard",
  }),
);

const probeSchema = z
  .strictObject({
    http: z
      .strictObject({
        port: portNumber,
        path: z.string().startsWith("/").optional().describe(`Default "${DEFAULT_PROBE_PATH}".`),
        expect_status: z.int().min(100).max(599).optional().describe(`Default ${DEFAULT_EXPECT_STATUS}.`),
      })
      .optional(),
    tcp: z.strictObject({ port: portNumber }).optional(),
  })
  .describe("How gitdock checks a new container from outside: exactly one of http or tcp.");

export const gitdockOptionsSchema = z
  .strictObject({
    probe: probeSchema.optional(),
    health_timeout: duration.optional().describe(`How long a new container may take to become healthy. Default ${DEFAULT_HEALTH_TIMEOUT_MS / 1000}s.`),
    job: z
      .enum(["pre-deploy", "post-deploy"])
      .optional()
      .describe(
        "Run this service as a release job: a one-off container that must exit 0. pre-deploy: after the pulls, before the first container is replaced; post-deploy: once the new containers passed their gates (a failure rolls the release back). Runs once per commit that changes its stack.",
      ),
    job_timeout: duration.optional().describe(`How long a job may run before it is stopped and fails the release. Default ${DEFAULT_JOB_TIMEOUT_MS / 60_000}m.`),
    writable_paths: z
      .array(z.string().startsWith("/", { error: "expected an absolute path inside the container" }))
      .optional()
      .describe("Paths in the container that may change at run time (caches, pid files): changes under them are not reported as changed in place."),
  })
  .describe("gitdock's own settings for this service.");
